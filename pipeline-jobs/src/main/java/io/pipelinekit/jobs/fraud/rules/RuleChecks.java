package io.pipelinekit.jobs.fraud.rules;

import java.math.BigDecimal;

/** Parameter checks shared by the rules, with messages that name the rule kind and the field. */
final class RuleChecks {

    private RuleChecks() {}

    static void positive(String rule, String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    rule + " rule: " + field + " must be a positive finite number but is " + value);
        }
    }

    static void atLeast(String rule, String field, long value, long minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(
                    rule + " rule: " + field + " must be at least " + minimum + " but is " + value);
        }
    }

    static void positive(String rule, String field, BigDecimal value) {
        if (value == null || value.signum() <= 0) {
            throw new IllegalArgumentException(
                    rule + " rule: " + field + " must be a positive amount but is " + value);
        }
    }
}
