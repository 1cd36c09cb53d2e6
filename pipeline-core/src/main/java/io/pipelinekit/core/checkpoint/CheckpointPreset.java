package io.pipelinekit.core.checkpoint;

import org.apache.flink.annotation.PublicEvolving;

import java.time.Duration;

/**
 * Named checkpoint settings for the common shapes of jobs. All retain checkpoints on cancellation
 * (so a job can be restored after a mistaken cancel), checkpoint exactly once, and restart with an
 * exponential backoff that gives up after {@link #restartAttempts()} failures in a row, so a job
 * that fails on every attempt stops instead of looping.
 */
@PublicEvolving
public enum CheckpointPreset {
    /**
     * Small state (kilobytes to a few hundred megabytes per task), results wanted within seconds:
     * e.g. exactly-once Kafka-to-Kafka enrichment, where the Kafka transactions commit on each
     * checkpoint and the interval is the end-to-end latency. Heap state; unaligned checkpoints
     * after 100 ms of alignment so backpressure does not delay them.
     */
    LOW_LATENCY(
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofMinutes(2),
            3,
            Duration.ofMillis(100),
            false,
            10,
            Duration.ofSeconds(30)),

    /**
     * The default for most jobs: state that fits in memory, checkpoints every 30 s (2 min timeout,
     * 3 tolerated failures), unaligned after 30 s of alignment (checkpoints still complete under
     * backpressure). Fits exactly-once Kafka sinks on brokers with default limits.
     */
    BALANCED(
            Duration.ofSeconds(30),
            Duration.ofSeconds(10),
            Duration.ofMinutes(2),
            3,
            Duration.ofSeconds(30),
            false,
            10,
            Duration.ofMinutes(1)),

    /**
     * State larger than memory (gigabytes per task, e.g. long windows, large keyed state, CDC
     * reconciliation): RocksDB with incremental checkpoints (only new SST files are uploaded) and
     * local recovery, checkpoints every 2 min with at least 1 min of processing between them, 10
     * min timeout, 3 tolerated consecutive checkpoint failures. With an exactly-once Kafka sink, a
     * transaction may stay open for up to 48 min: raise the brokers' transaction.max.timeout.ms
     * (e.g. to 1 h) and kafka.sink.transaction-timeout above 48 min; PipelineValidator checks it.
     */
    LARGE_STATE(
            Duration.ofMinutes(2),
            Duration.ofMinutes(1),
            Duration.ofMinutes(10),
            3,
            Duration.ofMinutes(1),
            true,
            10,
            Duration.ofMinutes(2));

    private final Duration interval;
    private final Duration minPause;
    private final Duration timeout;
    private final int tolerableFailures;
    private final Duration alignedTimeout;
    private final boolean rocksDbIncremental;
    private final int restartAttempts;
    private final Duration maxRestartBackoff;

    CheckpointPreset(
            Duration interval,
            Duration minPause,
            Duration timeout,
            int tolerableFailures,
            Duration alignedTimeout,
            boolean rocksDbIncremental,
            int restartAttempts,
            Duration maxRestartBackoff) {
        this.interval = interval;
        this.minPause = minPause;
        this.timeout = timeout;
        this.tolerableFailures = tolerableFailures;
        this.alignedTimeout = alignedTimeout;
        this.rocksDbIncremental = rocksDbIncremental;
        this.restartAttempts = restartAttempts;
        this.maxRestartBackoff = maxRestartBackoff;
    }

    public Duration interval() {
        return interval;
    }

    public Duration minPause() {
        return minPause;
    }

    public Duration timeout() {
        return timeout;
    }

    public int tolerableFailures() {
        return tolerableFailures;
    }

    /** Alignment time after which a checkpoint switches to unaligned. */
    public Duration alignedTimeout() {
        return alignedTimeout;
    }

    public boolean rocksDbIncremental() {
        return rocksDbIncremental;
    }

    /** Consecutive restarts before the job fails for good. */
    public int restartAttempts() {
        return restartAttempts;
    }

    /** Longest wait between restarts. */
    public Duration maxRestartBackoff() {
        return maxRestartBackoff;
    }
}
