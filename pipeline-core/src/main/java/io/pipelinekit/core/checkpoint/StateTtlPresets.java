package io.pipelinekit.core.checkpoint;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.state.StateTtlConfig;

import java.time.Duration;

/**
 * Processing-time state TTL for retention rules, with cleanup during RocksDB compaction (and
 * incremental cleanup on heap backends), so state of inactive keys does not grow forever.
 *
 * <pre>{@code
 * ValueStateDescriptor<CardHistory> history = new ValueStateDescriptor<>("history", CardHistory.class);
 * history.enableTimeToLive(StateTtlPresets.expireAfterWrite(Duration.ofDays(30)));
 * }</pre>
 */
@PublicEvolving
public final class StateTtlPresets {

    private StateTtlPresets() {}

    /** State expires {@code ttl} after it was last written. */
    public static StateTtlConfig expireAfterWrite(Duration ttl) {
        return builder(ttl).setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite).build();
    }

    /** State expires {@code ttl} after it was last read or written. */
    public static StateTtlConfig expireAfterAccess(Duration ttl) {
        return builder(ttl).setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite).build();
    }

    private static StateTtlConfig.Builder builder(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("A state TTL must be positive, was " + ttl);
        }
        return StateTtlConfig.newBuilder(ttl)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupIncrementally(10, false)
                // Re-read the current time every 1000 entries the compaction filter looks at.
                .cleanupInRocksdbCompactFilter(1000);
    }
}
