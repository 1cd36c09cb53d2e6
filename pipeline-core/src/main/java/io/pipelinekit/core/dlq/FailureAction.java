package io.pipelinekit.core.dlq;

import org.apache.flink.annotation.PublicEvolving;

/** What happens to a record that fails at a stage. */
@PublicEvolving
public enum FailureAction {
    /** Fail the job with the error (the restart strategy decides what happens next). */
    FAIL,
    /** Drop the record and count it in the {@code skippedRecords} metric. */
    SKIP_AND_COUNT,
    /** Send the record to the dead-letter queue with the reason (default). */
    DEAD_LETTER
}
