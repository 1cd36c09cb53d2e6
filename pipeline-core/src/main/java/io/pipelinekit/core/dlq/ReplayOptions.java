package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options of the {@link DeadLetterReplay} tool (plus {@code kafka.*} for the connection). */
@PublicEvolving
public final class ReplayOptions {

    public static final ConfigOption<String> DLQ_TOPIC =
            ConfigOptions.key("replay.dlq-topic")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("The dead-letter topic to replay from.");

    public static final ConfigOption<String> GROUP_ID =
            ConfigOptions.key("replay.group-id")
                    .stringType()
                    .defaultValue("pipelinekit-dlq-replay")
                    .withDescription(
                            "Consumer group that records how far the DLQ was replayed. By default"
                                + " one per DLQ topic and filter (stage, reason, time range, max"
                                + " attempts), so a new filter starts from the beginning of the"
                                + " DLQ; letters matching several filters are then replayed"
                                + " again.");

    public static final ConfigOption<FailureStage> STAGE =
            ConfigOptions.key("replay.stage")
                    .enumType(FailureStage.class)
                    .noDefaultValue()
                    .withDescription("Replay only dead letters of this stage.");

    public static final ConfigOption<String> REASON =
            ConfigOptions.key("replay.reason")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Replay only dead letters with this reason code, e.g."
                                    + " REGISTRY_UNAVAILABLE.");

    public static final ConfigOption<String> FROM =
            ConfigOptions.key("replay.from")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Replay only dead letters that failed at or after this instant"
                                    + " (ISO-8601).");

    public static final ConfigOption<String> TO =
            ConfigOptions.key("replay.to")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Replay only dead letters that failed before this instant (ISO-8601).");

    public static final ConfigOption<String> TARGET_TOPIC =
            ConfigOptions.key("replay.target-topic")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Write to this topic instead of each record's source topic.");

    public static final ConfigOption<Integer> MAX_ATTEMPTS =
            ConfigOptions.key("replay.max-attempts")
                    .intType()
                    .defaultValue(3)
                    .withDescription(
                            "Dead letters that already failed this many times are left alone and"
                                    + " reported.");

    public static final ConfigOption<Boolean> DRY_RUN =
            ConfigOptions.key("replay.dry-run")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Report what would be replayed without writing or committing"
                                    + " anything.");

    private ReplayOptions() {}
}
