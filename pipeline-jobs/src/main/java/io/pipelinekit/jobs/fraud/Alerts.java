package io.pipelinekit.jobs.fraud;

import io.pipelinekit.jobs.fraud.rules.RuleHit;
import io.pipelinekit.schemas.fraud.AlertSeverity;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.UUID;

/** Builds fraud alerts with deterministic ids, so any consumer can drop duplicates. */
@PublicEvolving
public final class Alerts {

    private Alerts() {}

    /**
     * The alert id: a name-based UUID of rule id, rule version and transaction id, the same in
     * every run and replay.
     */
    public static UUID alertId(String ruleId, int ruleVersion, String transactionId) {
        return UUID.nameUUIDFromBytes(
                (ruleId + "|" + ruleVersion + "|" + transactionId)
                        .getBytes(StandardCharsets.UTF_8));
    }

    public static FraudAlert of(FraudRule rule, PaymentTransaction tx, RuleHit hit) {
        return FraudAlert.newBuilder()
                .setAlertId(
                        alertId(
                                rule.getRuleId(),
                                rule.getVersion(),
                                tx.getTransactionId().toString()))
                .setRuleId(rule.getRuleId())
                .setRuleVersion(rule.getVersion())
                .setTransactionId(tx.getTransactionId())
                .setCardId(tx.getCardId())
                .setAccountId(tx.getAccountId())
                .setSeverity(AlertSeverity.valueOf(rule.getSeverity().name()))
                .setDescription(rule.getDescription() + ": " + hit.description())
                .setEvidence(new ArrayList<>(hit.evidence()))
                .setRelatedTransactionIds(new ArrayList<>(hit.relatedTransactionIds()))
                .setEventTime(tx.getEventTime())
                .setDetectedAt(Instant.now())
                .build();
    }
}
