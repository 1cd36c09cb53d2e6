package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;
import io.pipelinekit.schemas.fraud.CardTestingParameters;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;
import io.pipelinekit.schemas.fraud.VelocityParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One fraud rule, evaluated for a transaction against the card's earlier transactions. Rules are
 * pure functions of their parameters, the transaction and the history, so the job evaluates them in
 * event-time order and gets the same alerts whatever order the records arrived in.
 */
@PublicEvolving
public interface Rule {

    /**
     * @param history the card's earlier transactions, oldest first, ordered by event time and then
     *     transaction id, all strictly before {@code tx} in that order
     */
    Optional<RuleHit> evaluate(PaymentTransaction tx, List<PastTransaction> history);

    /** Whether the rule looks at a time window of earlier transactions (late records skip it). */
    boolean usesWindow();

    /**
     * How far back in event time the rule looks; the job's history ({@code fraud.history.max-age})
     * must cover it, or the rule would silently see too little.
     */
    default Duration lookback() {
        return Duration.ZERO;
    }

    /**
     * How many earlier transactions the rule looks at, at most; the job's history ({@code
     * fraud.history.max-transactions}) must hold them.
     */
    default int historyDepth() {
        return 0;
    }

    /**
     * The rule a {@link FraudRule} definition describes.
     *
     * @throws IllegalArgumentException when the parameters are of an unknown kind or out of range,
     *     with what is wrong
     */
    static Rule of(FraudRule definition) {
        Object parameters = definition.getParameters();
        if (parameters instanceof VelocityParameters) {
            return new VelocityRule((VelocityParameters) parameters);
        }
        if (parameters instanceof AmountAnomalyParameters) {
            return new AmountAnomalyRule((AmountAnomalyParameters) parameters);
        }
        if (parameters instanceof ImpossibleTravelParameters) {
            return new ImpossibleTravelRule((ImpossibleTravelParameters) parameters);
        }
        if (parameters instanceof CardTestingParameters) {
            return new CardTestingRule((CardTestingParameters) parameters);
        }
        throw new IllegalArgumentException(
                "Rule "
                        + definition.getRuleId()
                        + " has parameters of an unknown kind: "
                        + (parameters == null ? "null" : parameters.getClass().getName()));
    }
}
