package io.pipelinekit.core.sink;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/**
 * Writes batches of records to the target store of an {@link IdempotentSink}, idempotently and
 * fenced by version.
 *
 * <p>The contract that makes the sink exactly-once in effect: writing a batch again (after a
 * failure, a restore or a replay) leaves the target as it was after the first write, and a record
 * never replaces a stored value with an equal or newer version. A failed {@link #write} may have
 * applied part of the batch only if re-applying it is harmless, which version fencing guarantees.
 */
@PublicEvolving
public interface BatchWriter<T> extends AutoCloseable {

    /**
     * Writes {@code batch} (at most one record per key, newest version of that key seen since the
     * last write) and returns how many records were not applied because the target already held an
     * equal or newer version.
     *
     * @throws Exception any failure; the sink's {@link ErrorClassifier} decides whether the batch
     *     is retried, split to isolate poison records, or the job fails
     */
    int write(List<T> batch) throws Exception;

    /**
     * Called after a transient failure, before the retry: drop connections or sessions that may be
     * broken so that the next {@link #write} starts clean.
     */
    default void reset() {}

    @Override
    default void close() throws Exception {}
}
