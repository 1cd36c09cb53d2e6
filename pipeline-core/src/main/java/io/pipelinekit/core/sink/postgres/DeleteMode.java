package io.pipelinekit.core.sink.postgres;

import org.apache.flink.annotation.PublicEvolving;

/** How a {@link PostgresUpsertSink} applies deletes without losing the version fence. */
@PublicEvolving
public enum DeleteMode {
    /**
     * The row is removed; its key and the delete's version are kept in a tombstone table ({@code
     * <table>_tombstones} by default, created when missing) so that an older upsert replayed later
     * cannot bring the row back. Purge tombstones older than the longest possible replay.
     */
    HARD_DELETE,
    /**
     * The row stays with a boolean deleted column set and the delete's version; readers filter on
     * it. Columns not written by a delete keep their last values.
     */
    SOFT_DELETE
}
