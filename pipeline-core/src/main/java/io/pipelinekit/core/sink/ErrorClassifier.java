package io.pipelinekit.core.sink;

import io.pipelinekit.core.sink.internal.DefaultErrorClassifier;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * Maps a write failure of an {@link IdempotentSink} to what the sink does about it: retry with
 * backoff, isolate the records that cause it, or fail the job.
 */
@PublicEvolving
public interface ErrorClassifier extends Serializable {

    /** What a failure means for the batch that caused it. */
    @PublicEvolving
    enum Kind {
        /**
         * The store or the network is briefly unavailable (connection lost, timeout, deadlock,
         * failover): the same batch is retried with exponential backoff, up to the configured
         * attempts; then the job fails and its restart strategy takes over.
         */
        TRANSIENT,
        /**
         * Some record of the batch is rejected (constraint violation, value out of range): the
         * batch is split until the rejected records are isolated; they go to the dead-letter queue
         * (stage SINK) and the others are written.
         */
        PERMANENT,
        /**
         * The sink is misconfigured (missing table or column, no permission, bad credentials): no
         * record can be written, so the job fails at once with the reason instead of dead-lettering
         * every record.
         */
        FATAL
    }

    /**
     * Transient for I/O and timeouts, permanent for anything else: a failure the classifier does
     * not know is treated as caused by the data, so one bad record cannot restart-loop the job; a
     * systematic failure then exceeds the dead-letter tolerance and fails the job with the reason.
     */
    ErrorClassifier DEFAULT = new DefaultErrorClassifier();

    Kind classify(Throwable error);

    /**
     * A short, stable reason for dead letters and metrics (e.g. {@code CHECK_VIOLATION}); by
     * default the exception's simple class name.
     */
    default String reason(Throwable error) {
        return error.getClass().getSimpleName();
    }
}
