package io.pipelinekit.schemas.compat;

import java.util.Objects;

/** One way a contract change breaks its compatibility mode or the contract conventions. */
public final class CompatibilityViolation {

    private final String schema;
    private final String rule;
    private final String field;
    private final String message;

    CompatibilityViolation(String schema, String rule, String field, String message) {
        this.schema = Objects.requireNonNull(schema);
        this.rule = Objects.requireNonNull(rule);
        this.field = Objects.requireNonNull(field);
        this.message = Objects.requireNonNull(message);
    }

    /**
     * Full name of the contract, e.g. {@code io.pipelinekit.schemas.payments.PaymentTransaction}.
     */
    public String schema() {
        return schema;
    }

    /** The rule that is broken, e.g. {@code BACKWARD vs v1: TYPE_MISMATCH}. */
    public String rule() {
        return rule;
    }

    /** The field concerned, as a dotted path (e.g. {@code location.country}), or {@code -}. */
    public String field() {
        return field;
    }

    /** What is wrong and what to do about it. */
    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return schema + " field '" + field + "': " + rule + ": " + message;
    }
}
