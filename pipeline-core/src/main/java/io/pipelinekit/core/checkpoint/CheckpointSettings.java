package io.pipelinekit.core.checkpoint;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Checkpointing, state backend, restart strategy and max parallelism of a job, from a {@link
 * CheckpointPreset} plus the checkpoint location.
 *
 * <pre>{@code
 * CheckpointSettings settings =
 *         CheckpointSettings.builder(CheckpointPreset.LARGE_STATE)
 *                 .storage("s3://checkpoints/inventory-sync")
 *                 .maxParallelism(256)
 *                 .build();
 * settings.applyTo(env);
 * }</pre>
 */
@PublicEvolving
public final class CheckpointSettings {

    private final CheckpointPreset preset;
    private final String storage;
    private final int maxParallelism;
    private final Duration interval;

    private CheckpointSettings(Builder builder) {
        this.preset = builder.preset;
        this.storage = builder.storage;
        this.maxParallelism = builder.maxParallelism;
        this.interval = builder.interval != null ? builder.interval : preset.interval();
    }

    public static Builder builder(CheckpointPreset preset) {
        return new Builder(preset);
    }

    /** The settings {@link CheckpointOptions} describe. */
    public static CheckpointSettings fromConfig(ReadableConfig config) {
        Builder builder =
                builder(config.get(CheckpointOptions.PRESET))
                        .maxParallelism(config.get(CheckpointOptions.MAX_PARALLELISM));
        config.getOptional(CheckpointOptions.STORAGE).ifPresent(builder::storage);
        config.getOptional(CheckpointOptions.INTERVAL).ifPresent(builder::interval);
        return builder.build();
    }

    public CheckpointPreset preset() {
        return preset;
    }

    public Duration interval() {
        return interval;
    }

    public Duration timeout() {
        return preset.timeout();
    }

    public int maxParallelism() {
        return maxParallelism;
    }

    /**
     * How long an exactly-once sink's transaction may stay open: it opens at one checkpoint and
     * commits when the next one completes, after up to the tolerated number of failed checkpoints,
     * and a restart in between.
     */
    public Duration longestOpenTransaction() {
        Duration attempt = preset.timeout().plus(minPause());
        return interval.plus(attempt.multipliedBy(preset.tolerableFailures() + 1L))
                .plus(preset.maxRestartBackoff());
    }

    /**
     * The preset's minimum pause between checkpoints, but at most half the interval: a job that
     * asks for checkpoints every 5 s gets them, even on a preset made for minutes.
     */
    public Duration minPause() {
        Duration half = interval.dividedBy(2);
        return preset.minPause().compareTo(half) < 0 ? preset.minPause() : half;
    }

    /** The longest a failed job waits before its next restart. */
    public Duration maxRestartBackoff() {
        return preset.maxRestartBackoff();
    }

    /** The settings as Flink options, e.g. to inspect them or to pass to a cluster. */
    public Configuration toConfiguration() {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, interval);
        conf.set(
                CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE,
                CheckpointingMode.EXACTLY_ONCE);
        conf.set(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, minPause());
        conf.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, preset.timeout());
        conf.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, preset.tolerableFailures());
        conf.set(CheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS, 1);
        conf.set(CheckpointingOptions.ENABLE_UNALIGNED, true);
        conf.set(CheckpointingOptions.ALIGNED_CHECKPOINT_TIMEOUT, preset.alignedTimeout());
        conf.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, storage);
        if (preset.rocksDbIncremental()) {
            conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
            conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
            conf.set(CheckpointingOptions.LOCAL_RECOVERY, true);
        } else {
            conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        }
        conf.set(PipelineOptions.MAX_PARALLELISM, maxParallelism);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
                Duration.ofSeconds(1));
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
                preset.maxRestartBackoff());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR, 0.1);
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS,
                preset.restartAttempts());
        // A job that ran this long without failing starts counting its restarts afresh.
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
                Duration.ofHours(1));
        return conf;
    }

    /** Applies the settings to a job's environment. */
    public void applyTo(StreamExecutionEnvironment env) {
        env.configure(toConfiguration());
        env.setMaxParallelism(maxParallelism);
    }

    /** Builder of {@link CheckpointSettings}. */
    @PublicEvolving
    public static final class Builder {
        private final CheckpointPreset preset;
        private String storage;
        private int maxParallelism = 128;
        private Duration interval;

        private Builder(CheckpointPreset preset) {
            this.preset = Objects.requireNonNull(preset, "preset");
        }

        /** Where checkpoints go: {@code s3://bucket/path} or {@code file:///path}. Required. */
        public Builder storage(String uri) {
            this.storage = Objects.requireNonNull(uri, "storage");
            return this;
        }

        /**
         * Upper bound of the job's parallelism, fixed for the life of its state (default 128):
         * keyed state is split into this many key groups.
         */
        public Builder maxParallelism(int value) {
            this.maxParallelism = value;
            return this;
        }

        /** Overrides the preset's checkpoint interval. */
        public Builder interval(Duration value) {
            this.interval = Objects.requireNonNull(value, "interval");
            return this;
        }

        public CheckpointSettings build() {
            if (storage == null) {
                throw new IllegalStateException(
                        "CheckpointSettings need storage(...) (option checkpoint.storage): a"
                                + " durable location such as s3://bucket/checkpoints/<job>, or"
                                + " file:///path for local runs");
            }
            String scheme = URI.create(storage).getScheme();
            if (scheme == null) {
                throw new IllegalArgumentException(
                        "Checkpoint storage '"
                                + storage
                                + "' has no scheme: write s3://... or file:///...");
            }
            if (maxParallelism < 1 || maxParallelism > 32768) {
                throw new IllegalArgumentException(
                        "maxParallelism must be within 1..32768, was " + maxParallelism);
            }
            if (interval != null && interval.compareTo(Duration.ofMillis(10)) < 0) {
                throw new IllegalArgumentException(
                        "The checkpoint interval must be at least 10 ms, was " + interval);
            }
            return new CheckpointSettings(this);
        }
    }
}
