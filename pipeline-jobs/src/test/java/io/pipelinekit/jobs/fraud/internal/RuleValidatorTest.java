package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.core.dlq.ValidationResult;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RuleValidatorTest {

    private final RuleValidator validator = new RuleValidator(50, Duration.ofHours(2));

    @Test
    void acceptsTheDefaultRulesAndRemovals() {
        for (FraudRule rule : FraudRules.defaults()) {
            assertThat(validator.validate(RuleUpdate.of(rule)).isValid()).as("%s", rule).isTrue();
        }
        assertThat(validator.validate(RuleUpdate.removed("velocity")).isValid()).isTrue();
    }

    @Test
    void rejectsOutOfRangeParametersNamingTheField() {
        assertInvalid(FraudRules.velocity(2, 0, 5, null), "INVALID_RULE", "windowSeconds");
        assertInvalid(FraudRules.velocity(2, 60, null, null), "INVALID_RULE", "never fire");
        assertInvalid(FraudRules.velocity(2, 60, null, "-1"), "INVALID_RULE", "maxAmount");
        assertInvalid(FraudRules.amountAnomaly(2, 1, 20, 3.0), "INVALID_RULE", "minHistory");
        assertInvalid(FraudRules.amountAnomaly(2, 5, 3, 3.0), "INVALID_RULE", "historySize");
        assertInvalid(
                FraudRules.rule("impossible-travel", 2, new ImpossibleTravelParameters(0.0, 50.0)),
                "INVALID_RULE",
                "maxSpeedKmh");
        assertInvalid(
                FraudRules.cardTesting(2, "600", 3, "500", 600), "INVALID_RULE", "largeAmount");
    }

    @Test
    void rejectsRulesThatNeedMoreHistoryThanTheJobKeeps() {
        assertInvalid(
                FraudRules.velocity(2, 3 * 3600, 5, null),
                "RULE_EXCEEDS_HISTORY",
                "fraud.history.max-age");
        assertInvalid(
                FraudRules.amountAnomaly(2, 5, 80, 3.0),
                "RULE_EXCEEDS_HISTORY",
                "fraud.history.max-transactions");
    }

    @Test
    void rejectsADefinitionPublishedUnderAnotherKey() {
        ValidationResult result =
                validator.validate(
                        RuleUpdate.of("velocity-v2", FraudRules.velocity(2, 60, 5, null)));
        assertThat(result.reason()).isEqualTo("RULE_KEY_MISMATCH");
        assertThat(result.message()).contains("velocity-v2");
    }

    private void assertInvalid(FraudRule rule, String reason, String mentions) {
        ValidationResult result = validator.validate(RuleUpdate.of(rule));
        assertThat(result.isValid()).as("%s", rule).isFalse();
        assertThat(result.reason()).isEqualTo(reason);
        assertThat(result.message()).contains(mentions);
    }
}
