package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Optional;

/**
 * An amount far above the card's baseline: more than mean + k x standard deviation (population) of
 * the card's last {@code historySize} transactions, once it has at least {@code minHistory}.
 */
@PublicEvolving
public final class AmountAnomalyRule implements Rule {

    private final int minHistory;
    private final int historySize;
    private final double deviations;

    public AmountAnomalyRule(AmountAnomalyParameters parameters) {
        this.minHistory = parameters.getMinHistory();
        this.historySize = parameters.getHistorySize();
        this.deviations = parameters.getStandardDeviations();
        // A standard deviation needs two amounts.
        RuleChecks.atLeast("amount-anomaly", "minHistory", minHistory, 2);
        RuleChecks.atLeast("amount-anomaly", "historySize", historySize, minHistory);
        RuleChecks.positive("amount-anomaly", "standardDeviations", deviations);
    }

    @Override
    public int historyDepth() {
        return historySize;
    }

    @Override
    public Optional<RuleHit> evaluate(PaymentTransaction tx, List<PastTransaction> history) {
        int n = Math.min(historySize, history.size());
        if (n < minHistory || n == 0) {
            return Optional.empty();
        }
        List<PastTransaction> baseline = history.subList(history.size() - n, history.size());
        double mean = 0;
        for (PastTransaction past : baseline) {
            mean += past.amount.doubleValue();
        }
        mean /= n;
        double variance = 0;
        for (PastTransaction past : baseline) {
            double d = past.amount.doubleValue() - mean;
            variance += d * d;
        }
        double stddev = Math.sqrt(variance / n);
        double limit = mean + deviations * stddev;
        double amount = tx.getAmount().doubleValue();
        if (amount <= limit) {
            return Optional.empty();
        }
        BigDecimal shownLimit = new BigDecimal(limit, new MathContext(10));
        return Optional.of(
                new RuleHit(
                        "amount "
                                + tx.getAmount().stripTrailingZeros().toPlainString()
                                + " above the baseline of the last "
                                + n
                                + " transactions",
                        List.of(
                                RuleHit.evidence("amount", tx.getAmount(), shownLimit),
                                RuleHit.evidence(
                                        "baselineMean",
                                        new BigDecimal(mean, new MathContext(10)),
                                        null),
                                RuleHit.evidence(
                                        "baselineStdDev",
                                        new BigDecimal(stddev, new MathContext(10)),
                                        null)),
                        List.of()));
    }

    @Override
    public boolean usesWindow() {
        return false;
    }
}
