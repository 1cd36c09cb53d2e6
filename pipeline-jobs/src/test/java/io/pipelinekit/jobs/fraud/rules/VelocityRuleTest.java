package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.Evidence;
import io.pipelinekit.schemas.fraud.VelocityParameters;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static io.pipelinekit.jobs.fraud.rules.Payments.history;
import static io.pipelinekit.jobs.fraud.rules.Payments.online;
import static org.assertj.core.api.Assertions.assertThat;

class VelocityRuleTest {

    private final VelocityRule rule =
            new VelocityRule(new VelocityParameters(60, 3, new BigDecimal("500.0000")));

    @Test
    void firesAboveTheCountInTheWindowIncludingTheTransaction() {
        var past = history(online("1", 0), online("1", 10), online("1", 20));
        assertThat(rule.evaluate(online("1", 30), past))
                .get()
                .satisfies(
                        hit -> {
                            assertThat(hit.evidence())
                                    .extracting(Evidence::getName, Evidence::getValue)
                                    .containsExactly(
                                            org.assertj.core.groups.Tuple.tuple(
                                                    "transactionsInWindow", "4"));
                            assertThat(hit.relatedTransactionIds()).hasSize(3);
                        });
        assertThat(rule.evaluate(online("1", 30), history(online("1", 10), online("1", 20))))
                .isEmpty();
    }

    @Test
    void theWindowIsSlidingAndExcludesItsStart() {
        // (t - 60 s, t]: the transaction exactly 60 s earlier is outside.
        var past = history(online("1", 0), online("1", 10), online("1", 20));
        assertThat(rule.evaluate(online("1", 60), past)).isEmpty();
        assertThat(rule.evaluate(online("1", 59), past)).isPresent();
    }

    @Test
    void firesAboveTheAmountInTheWindow() {
        var past = history(online("300", 0));
        assertThat(rule.evaluate(online("200.0001", 5), past))
                .get()
                .extracting(hit -> hit.evidence().get(0).getName())
                .isEqualTo("amountInWindow");
        assertThat(rule.evaluate(online("200", 5), past)).isEmpty();
    }
}
