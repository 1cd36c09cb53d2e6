package io.pipelinekit.core.dlq;

import org.apache.flink.annotation.PublicEvolving;

/**
 * More records failed in a window than the {@link DeadLetterPolicy} tolerates: the job fails so
 * that a broken deployment does not quietly dead-letter everything.
 */
@PublicEvolving
public final class DeadLetterToleranceExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeadLetterToleranceExceededException(String message, Throwable lastCause) {
        super(message, lastCause);
    }
}
