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
     * The row stays, with the boolean deleted column set, the delete's version and the values the
     * delete record carries (e.g. the before-image of a CDC delete); readers filter on the column.
     */
    SOFT_DELETE
}
