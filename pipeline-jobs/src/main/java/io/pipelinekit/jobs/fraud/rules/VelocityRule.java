package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.Evidence;
import io.pipelinekit.schemas.fraud.VelocityParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * More than N transactions, or more than X spent, by a card in the sliding event-time window {@code
 * (t - windowSeconds, t]} ending at the transaction (which counts itself).
 */
@PublicEvolving
public final class VelocityRule implements Rule {

    private final long windowMillis;
    private final Integer maxTransactions;
    private final BigDecimal maxAmount;

    public VelocityRule(VelocityParameters parameters) {
        this.windowMillis = parameters.getWindowSeconds() * 1000L;
        this.maxTransactions = parameters.getMaxTransactions();
        this.maxAmount = parameters.getMaxAmount();
        RuleChecks.atLeast("velocity", "windowSeconds", parameters.getWindowSeconds(), 1);
        if (maxTransactions == null && maxAmount == null) {
            throw new IllegalArgumentException(
                    "velocity rule: set maxTransactions, maxAmount or both; with neither the rule"
                            + " can never fire");
        }
        if (maxTransactions != null) {
            RuleChecks.atLeast("velocity", "maxTransactions", maxTransactions, 1);
        }
        if (maxAmount != null) {
            RuleChecks.positive("velocity", "maxAmount", maxAmount);
        }
    }

    @Override
    public Duration lookback() {
        return Duration.ofMillis(windowMillis);
    }

    @Override
    public int historyDepth() {
        return maxTransactions == null ? 0 : maxTransactions;
    }

    @Override
    public Optional<RuleHit> evaluate(PaymentTransaction tx, List<PastTransaction> history) {
        long t = tx.getEventTime().toEpochMilli();
        int count = 1;
        BigDecimal sum = tx.getAmount();
        List<String> related = new ArrayList<>();
        for (PastTransaction past : history) {
            if (past.eventTimeMillis > t - windowMillis) {
                count++;
                sum = sum.add(past.amount);
                related.add(past.transactionId);
            }
        }
        List<Evidence> evidence = new ArrayList<>();
        if (maxTransactions != null && count > maxTransactions) {
            evidence.add(RuleHit.evidence("transactionsInWindow", count, maxTransactions));
        }
        if (maxAmount != null && sum.compareTo(maxAmount) > 0) {
            evidence.add(RuleHit.evidence("amountInWindow", sum, maxAmount));
        }
        if (evidence.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new RuleHit(
                        count
                                + " transactions, "
                                + sum.stripTrailingZeros().toPlainString()
                                + " in "
                                + windowMillis / 1000
                                + " s",
                        evidence,
                        related));
    }

    @Override
    public boolean usesWindow() {
        return true;
    }
}
