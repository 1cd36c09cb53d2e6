package io.pipelinekit.core.checkpoint;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;

/** Options that {@link CheckpointSettings#fromConfig} reads. */
@PublicEvolving
public final class CheckpointOptions {

    public static final ConfigOption<CheckpointPreset> PRESET =
            ConfigOptions.key("checkpoint.preset")
                    .enumType(CheckpointPreset.class)
                    .defaultValue(CheckpointPreset.BALANCED)
                    .withDescription(
                            "LOW_LATENCY, BALANCED or LARGE_STATE (see CheckpointPreset).");

    public static final ConfigOption<String> STORAGE =
            ConfigOptions.key("checkpoint.storage")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Where checkpoints go, e.g. s3://bucket/checkpoints/<job> or"
                                    + " file:///path.");

    public static final ConfigOption<Duration> INTERVAL =
            ConfigOptions.key("checkpoint.interval")
                    .durationType()
                    .noDefaultValue()
                    .withDescription("Overrides the preset's checkpoint interval.");

    public static final ConfigOption<Integer> MAX_PARALLELISM =
            ConfigOptions.key("checkpoint.max-parallelism")
                    .intType()
                    .defaultValue(128)
                    .withDescription(
                            "The job's max parallelism (number of key groups), fixed for the life"
                                    + " of its state.");

    private CheckpointOptions() {}
}
