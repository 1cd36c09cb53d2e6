package io.pipelinekit.core.dlq.internal;

import io.pipelinekit.core.registry.SchemaRegistryException;

import org.apache.flink.annotation.Internal;

import org.apache.avro.AvroRuntimeException;

import java.io.EOFException;

/** Stable, low-cardinality reason codes for exceptions, for dead letters and metrics. */
@Internal
public final class FailureReasons {

    private FailureReasons() {}

    /** The reason code of a deserialization failure. */
    public static String ofDeserialization(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException) {
                return ((SchemaRegistryException) t).reason().name();
            }
            if (t instanceof EOFException) {
                return "TRUNCATED_PAYLOAD";
            }
            if (t instanceof AvroRuntimeException) {
                return "MALFORMED_PAYLOAD";
            }
        }
        return "DESERIALIZATION_ERROR";
    }

    /** The reason code of an exception thrown by user code: its simple class name. */
    public static String ofException(Throwable error) {
        return "EXCEPTION_" + error.getClass().getSimpleName();
    }
}
