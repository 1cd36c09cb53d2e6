package io.pipelinekit.core.dlq;

import org.apache.flink.annotation.PublicEvolving;

import java.util.Objects;

/** The outcome of a {@link Validator}: valid, or invalid with a reason code and a message. */
@PublicEvolving
public final class ValidationResult {

    private static final ValidationResult VALID = new ValidationResult(null, null);

    private final String reason;
    private final String message;

    private ValidationResult(String reason, String message) {
        this.reason = reason;
        this.message = message;
    }

    public static ValidationResult valid() {
        return VALID;
    }

    /**
     * @param reason short stable code for metrics and filtering, e.g. {@code NEGATIVE_STOCK}
     * @param message what exactly is wrong with this record
     */
    public static ValidationResult invalid(String reason, String message) {
        return new ValidationResult(Objects.requireNonNull(reason, "reason"), message);
    }

    public boolean isValid() {
        return reason == null;
    }

    public String reason() {
        return reason;
    }

    public String message() {
        return message;
    }
}
