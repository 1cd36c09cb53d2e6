package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;

import org.junit.jupiter.api.Test;

import static io.pipelinekit.jobs.fraud.rules.Payments.history;
import static io.pipelinekit.jobs.fraud.rules.Payments.online;
import static org.assertj.core.api.Assertions.assertThat;

class AmountAnomalyRuleTest {

    private final AmountAnomalyRule rule =
            new AmountAnomalyRule(new AmountAnomalyParameters(4, 5, 3.0));

    @Test
    void needsTheMinimumHistory() {
        assertThat(
                        rule.evaluate(
                                online("10000", 100),
                                history(online("10", 0), online("12", 1), online("14", 2))))
                .isEmpty();
    }

    @Test
    void firesAboveMeanPlusKStandardDeviationsOfTheLastTransactions() {
        // baseline (last 5): 10, 20, 10, 20, 10 -> mean 14, stddev ~4.899, limit ~28.70
        var past =
                history(
                        online("5000", 0), // older than the baseline: ignored
                        online("10", 1),
                        online("20", 2),
                        online("10", 3),
                        online("20", 4),
                        online("10", 5));
        assertThat(rule.evaluate(online("28.69", 6), past)).isEmpty();
        assertThat(rule.evaluate(online("28.71", 6), past))
                .get()
                .satisfies(
                        hit ->
                                assertThat(hit.evidence().get(0).getThreshold())
                                        .startsWith("28.69"));
    }

    @Test
    void aConstantBaselineAlertsOnAnyHigherAmount() {
        var past = history(online("10", 1), online("10", 2), online("10", 3), online("10", 4));
        assertThat(rule.evaluate(online("10", 5), past)).isEmpty();
        assertThat(rule.evaluate(online("10.01", 5), past)).isPresent();
    }
}
