package io.pipelinekit.core.dlq;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;
import java.util.List;

/** Options of the dead-letter queue; {@link DeadLetterPolicy#fromConfig} reads them. */
@PublicEvolving
public final class DeadLetterOptions {

    public static final ConfigOption<String> TOPIC =
            ConfigOptions.key("dlq.topic")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Kafka topic the job writes its dead letters to.");

    public static final ConfigOption<FailureAction> DESERIALIZE_ACTION =
            ConfigOptions.key("dlq.action.deserialize")
                    .enumType(FailureAction.class)
                    .defaultValue(FailureAction.DEAD_LETTER)
                    .withDescription("What happens to records that cannot be deserialized.");

    public static final ConfigOption<FailureAction> VALIDATE_ACTION =
            ConfigOptions.key("dlq.action.validate")
                    .enumType(FailureAction.class)
                    .defaultValue(FailureAction.DEAD_LETTER)
                    .withDescription("What happens to records that fail validation.");

    public static final ConfigOption<FailureAction> PROCESS_ACTION =
            ConfigOptions.key("dlq.action.process")
                    .enumType(FailureAction.class)
                    .defaultValue(FailureAction.DEAD_LETTER)
                    .withDescription("What happens to records whose processing throws.");

    public static final ConfigOption<FailureAction> SINK_ACTION =
            ConfigOptions.key("dlq.action.sink")
                    .enumType(FailureAction.class)
                    .defaultValue(FailureAction.DEAD_LETTER)
                    .withDescription("What happens to records a sink rejects permanently.");

    public static final ConfigOption<FailureAction> NULL_VALUES =
            ConfigOptions.key("dlq.null-values")
                    .enumType(FailureAction.class)
                    .defaultValue(FailureAction.DEAD_LETTER)
                    .withDescription(
                            "What happens to records with a null value (Kafka tombstones).");

    public static final ConfigOption<Integer> TOLERANCE_MAX_FAILURES =
            ConfigOptions.key("dlq.tolerance.max-failures")
                    .intType()
                    .defaultValue(1000)
                    .withDescription(
                            "The job fails when a subtask sees more failed records than this within"
                                    + " dlq.tolerance.window, so a broken deployment does not"
                                    + " dead-letter everything.");

    public static final ConfigOption<Duration> TOLERANCE_WINDOW =
            ConfigOptions.key("dlq.tolerance.window")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription("The window of dlq.tolerance.max-failures.");

    public static final ConfigOption<Integer> MAX_STACK_TRACE_LENGTH =
            ConfigOptions.key("dlq.max-stack-trace-length")
                    .intType()
                    .defaultValue(4000)
                    .withDescription("Characters of a stack trace kept in a dead letter.");

    public static final ConfigOption<Integer> MAX_RECORD_BYTES =
            ConfigOptions.key("dlq.max-record-bytes")
                    .intType()
                    .defaultValue(Integer.MAX_VALUE)
                    .withDescription("Larger source records are dead-lettered as OVERSIZED.");

    public static final ConfigOption<List<String>> REDACT_HEADERS =
            ConfigOptions.key("dlq.redact-headers")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription(
                            "Kafka headers never copied into dead letters (e.g. authorization).");

    public static final ConfigOption<List<String>> REDACT_FIELDS =
            ConfigOptions.key("dlq.redact-fields")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription(
                            "Record fields (personal data) masked when an operator input is"
                                    + " attached.");

    private DeadLetterOptions() {}
}
