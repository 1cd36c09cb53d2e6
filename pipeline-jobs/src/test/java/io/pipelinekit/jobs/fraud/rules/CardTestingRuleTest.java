package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.CardTestingParameters;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static io.pipelinekit.jobs.fraud.rules.Payments.history;
import static io.pipelinekit.jobs.fraud.rules.Payments.online;
import static org.assertj.core.api.Assertions.assertThat;

class CardTestingRuleTest {

    private final CardTestingRule rule =
            new CardTestingRule(
                    new CardTestingParameters(
                            new BigDecimal("2.0000"), 3, new BigDecimal("500.0000"), 600));

    @Test
    void probesThenALargeAmountWithinTheWindowAlert() {
        var past = history(online("1", 0), online("0.5", 60), online("2", 120), online("40", 150));
        assertThat(rule.evaluate(online("800", 300), past))
                .get()
                .satisfies(hit -> assertThat(hit.relatedTransactionIds()).hasSize(3));
    }

    @Test
    void tooFewProbesOrASmallFinalAmountOrProbesOutsideTheWindowDoNot() {
        var two = history(online("1", 0), online("1", 60));
        assertThat(rule.evaluate(online("800", 300), two)).isEmpty();
        var three = history(online("1", 0), online("1", 60), online("1", 120));
        assertThat(rule.evaluate(online("499.99", 300), three)).isEmpty();
        assertThat(rule.evaluate(online("800", 600), three)).isEmpty(); // first probe at t-600
        assertThat(rule.evaluate(online("800", 599), three)).isPresent();
    }
}
