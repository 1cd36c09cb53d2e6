package io.pipelinekit.jobs.fraud;

import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;
import io.pipelinekit.schemas.fraud.CardTestingParameters;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;
import io.pipelinekit.schemas.fraud.RuleSeverity;
import io.pipelinekit.schemas.fraud.VelocityParameters;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/** Rule definitions for the fraud-detection tests. */
public final class FraudRules {

    private static final Instant PUBLISHED = Instant.parse("2026-01-01T00:00:00Z");

    private FraudRules() {}

    /** Version 1 of the four rules, with thresholds the generator's planted fraud trips. */
    public static List<FraudRule> defaults() {
        return List.of(
                velocity(1, 60, 5, "3000"),
                amountAnomaly(1, 5, 20, 4.0),
                rule("impossible-travel", 1, new ImpossibleTravelParameters(900.0, 50.0)),
                cardTesting(1, "2", 3, "500", 600));
    }

    public static FraudRule velocity(
            int version, int windowSeconds, Integer maxTransactions, String maxAmount) {
        return rule(
                "velocity",
                version,
                new VelocityParameters(
                        windowSeconds,
                        maxTransactions,
                        maxAmount == null ? null : amount(maxAmount)));
    }

    public static FraudRule amountAnomaly(
            int version, int minHistory, int historySize, double deviations) {
        return rule(
                "amount-anomaly",
                version,
                new AmountAnomalyParameters(minHistory, historySize, deviations));
    }

    public static FraudRule cardTesting(
            int version, String small, int probes, String large, int windowSeconds) {
        return rule(
                "card-testing",
                version,
                new CardTestingParameters(amount(small), probes, amount(large), windowSeconds));
    }

    public static FraudRule rule(String id, int version, Object parameters) {
        return FraudRule.newBuilder()
                .setRuleId(id)
                .setVersion(version)
                .setEnabled(true)
                .setSeverity(RuleSeverity.HIGH)
                .setDescription(id)
                .setParameters(parameters)
                .setUpdatedAt(PUBLISHED)
                .build();
    }

    public static FraudRule disabled(FraudRule rule, int version) {
        return FraudRule.newBuilder(rule).setVersion(version).setEnabled(false).build();
    }

    private static BigDecimal amount(String value) {
        return new BigDecimal(value).setScale(4);
    }
}
