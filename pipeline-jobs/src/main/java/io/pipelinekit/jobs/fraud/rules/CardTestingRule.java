package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.CardTestingParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Card testing: at least {@code minSmallTransactions} probes (amount at or below {@code
 * smallAmount}) and then a transaction at or above {@code largeAmount}, all within {@code
 * windowSeconds}.
 *
 * <p>An explicit scan of the card's bounded history rather than Flink CEP: the thresholds change at
 * runtime through the rule topic (a CEP pattern is fixed when the job is built), every rule shares
 * one per-card history in state instead of a NFA state per pattern, and the same code scores late
 * records and serves the reference model's definition one to one.
 */
@PublicEvolving
public final class CardTestingRule implements Rule {

    private final BigDecimal smallAmount;
    private final int minSmall;
    private final BigDecimal largeAmount;
    private final long windowMillis;

    public CardTestingRule(CardTestingParameters parameters) {
        this.smallAmount = parameters.getSmallAmount();
        this.minSmall = parameters.getMinSmallTransactions();
        this.largeAmount = parameters.getLargeAmount();
        this.windowMillis = parameters.getWindowSeconds() * 1000L;
        RuleChecks.positive("card-testing", "smallAmount", smallAmount);
        RuleChecks.positive("card-testing", "largeAmount", largeAmount);
        if (largeAmount.compareTo(smallAmount) <= 0) {
            throw new IllegalArgumentException(
                    "card-testing rule: largeAmount "
                            + largeAmount
                            + " must be above smallAmount "
                            + smallAmount);
        }
        RuleChecks.atLeast("card-testing", "minSmallTransactions", minSmall, 1);
        RuleChecks.atLeast("card-testing", "windowSeconds", parameters.getWindowSeconds(), 1);
    }

    @Override
    public Duration lookback() {
        return Duration.ofMillis(windowMillis);
    }

    @Override
    public int historyDepth() {
        return minSmall;
    }

    @Override
    public Optional<RuleHit> evaluate(PaymentTransaction tx, List<PastTransaction> history) {
        if (tx.getAmount().compareTo(largeAmount) < 0) {
            return Optional.empty();
        }
        long t = tx.getEventTime().toEpochMilli();
        List<String> probes = new ArrayList<>();
        for (PastTransaction past : history) {
            if (past.eventTimeMillis > t - windowMillis
                    && past.amount.compareTo(smallAmount) <= 0) {
                probes.add(past.transactionId);
            }
        }
        if (probes.size() < minSmall) {
            return Optional.empty();
        }
        return Optional.of(
                new RuleHit(
                        probes.size()
                                + " probes of at most "
                                + smallAmount.stripTrailingZeros().toPlainString()
                                + ", then "
                                + tx.getAmount().stripTrailingZeros().toPlainString(),
                        List.of(
                                RuleHit.evidence("probes", probes.size(), minSmall),
                                RuleHit.evidence("amount", tx.getAmount(), largeAmount)),
                        probes));
    }

    @Override
    public boolean usesWindow() {
        return true;
    }
}
