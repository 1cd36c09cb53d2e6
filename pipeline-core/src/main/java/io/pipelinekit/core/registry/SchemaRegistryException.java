package io.pipelinekit.core.registry;

import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;

/**
 * A schema registry or wire-format failure, with a stable {@link Reason} that dead-letter handling
 * turns into the dead letter's reason code.
 */
@PublicEvolving
public final class SchemaRegistryException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why the registry or the wire format failed. */
    public enum Reason {
        /** The payload does not start with the Confluent magic byte 0. */
        WRONG_MAGIC_BYTE,
        /** The payload is shorter than the 5-byte wire-format header. */
        TRUNCATED_HEADER,
        /** The registry does not know the schema id in the payload. */
        UNKNOWN_SCHEMA_ID,
        /** The subject or version does not exist. */
        SUBJECT_NOT_FOUND,
        /** The schema is not registered under the subject and auto-registration is off. */
        SCHEMA_NOT_REGISTERED,
        /** The registry rejected the schema as incompatible with the subject's versions. */
        INCOMPATIBLE_SCHEMA,
        /** The registry refused the credentials. */
        UNAUTHORIZED,
        /** The registry could not be reached, or kept failing, within the retry budget. */
        REGISTRY_UNAVAILABLE,
        /** Any other error answer of the registry. */
        REGISTRY_ERROR
    }

    private final Reason reason;
    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(Reason reason, String message) {
        this(reason, message, -1, -1, null);
    }

    public SchemaRegistryException(
            Reason reason, String message, int httpStatus, int errorCode, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public Reason reason() {
        return reason;
    }

    /** The HTTP status of the registry's answer, or -1 when there was none. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's {@code error_code}, or -1 when there was none. */
    public int errorCode() {
        return errorCode;
    }
}
