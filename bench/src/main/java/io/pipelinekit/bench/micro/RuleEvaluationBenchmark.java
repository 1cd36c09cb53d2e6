package io.pipelinekit.bench.micro;

import io.pipelinekit.jobs.fraud.rules.AmountAnomalyRule;
import io.pipelinekit.jobs.fraud.rules.PastTransaction;
import io.pipelinekit.jobs.fraud.rules.RuleHit;
import io.pipelinekit.jobs.fraud.rules.VelocityRule;
import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;
import io.pipelinekit.schemas.fraud.VelocityParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.TransactionGenerator;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One rule evaluation of a payment against the card's history, as the scoring function does. */
@State(Scope.Thread)
public class RuleEvaluationBenchmark {

    /** Earlier transactions of the card in state (the job keeps up to 100). */
    @Param({"20", "100"})
    public int history;

    private VelocityRule velocity;
    private AmountAnomalyRule amount;
    private List<PaymentTransaction> payments;
    private List<PastTransaction> past;
    private int next;

    @Setup
    public void setUp() {
        velocity = new VelocityRule(new VelocityParameters(60, 5, new BigDecimal("3000.0000")));
        amount = new AmountAnomalyRule(new AmountAnomalyParameters(5, 20, 4.0));
        // One card, so its history is dense in time as a busy card's is.
        List<PaymentTransaction> generated =
                TransactionGenerator.builder()
                        .seed(3)
                        .cards(1)
                        .transactions(history + 256)
                        .build()
                        .generate();
        past = new ArrayList<>();
        for (PaymentTransaction tx : generated.subList(0, history)) {
            past.add(PastTransaction.of(tx));
        }
        payments = generated.subList(history, generated.size());
    }

    private PaymentTransaction nextPayment() {
        next = (next + 1) % payments.size();
        return payments.get(next);
    }

    @Benchmark
    public Optional<RuleHit> velocity() {
        return velocity.evaluate(nextPayment(), past);
    }

    @Benchmark
    public Optional<RuleHit> amountAnomaly() {
        return amount.evaluate(nextPayment(), past);
    }
}
