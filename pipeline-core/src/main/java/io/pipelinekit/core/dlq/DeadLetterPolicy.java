package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;

import java.io.Serializable;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a job treats records that fail: the action per stage, the tolerance that fails the job when
 * too many records fail, and what a dead letter may contain (stack trace length, redacted headers,
 * masked secrets).
 *
 * <pre>{@code
 * DeadLetterPolicy policy =
 *         DeadLetterPolicy.builder("fraud-detection")
 *                 .onFailure(FailureStage.VALIDATE, FailureAction.SKIP_AND_COUNT)
 *                 .tolerance(100, Duration.ofMinutes(1))
 *                 .redactHeaders("authorization")
 *                 .maskSecrets(kafkaPassword)
 *                 .build();
 * }</pre>
 */
@PublicEvolving
public final class DeadLetterPolicy implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String jobName;
    private final Map<FailureStage, FailureAction> actions;
    private final int toleranceCount;
    private final Duration toleranceWindow;
    private final int maxStackTraceLength;
    private final Set<String> redactedHeaders;
    private final Set<String> maskedSecrets;
    private final Set<String> redactedFields;
    private final int maxRecordBytes;
    private final FailureAction nullValues;

    private DeadLetterPolicy(Builder builder) {
        this.jobName = builder.jobName;
        this.actions = new EnumMap<>(builder.actions);
        this.toleranceCount = builder.toleranceCount;
        this.toleranceWindow = builder.toleranceWindow;
        this.maxStackTraceLength = builder.maxStackTraceLength;
        this.redactedHeaders = Set.copyOf(builder.redactedHeaders);
        this.maskedSecrets = Set.copyOf(builder.maskedSecrets);
        this.redactedFields = Set.copyOf(builder.redactedFields);
        this.maxRecordBytes = builder.maxRecordBytes;
        this.nullValues = builder.nullValues;
    }

    public static Builder builder(String jobName) {
        return new Builder(jobName);
    }

    /**
     * The policy {@link DeadLetterOptions} describe; {@code secrets} (e.g. the job's passwords) are
     * masked in dead letters.
     */
    public static DeadLetterPolicy fromConfig(
            String jobName, ReadableConfig config, String... secrets) {
        return builder(jobName)
                .onFailure(
                        FailureStage.DESERIALIZE, config.get(DeadLetterOptions.DESERIALIZE_ACTION))
                .onFailure(FailureStage.VALIDATE, config.get(DeadLetterOptions.VALIDATE_ACTION))
                .onFailure(FailureStage.PROCESS, config.get(DeadLetterOptions.PROCESS_ACTION))
                .onFailure(FailureStage.SINK, config.get(DeadLetterOptions.SINK_ACTION))
                .nullValues(config.get(DeadLetterOptions.NULL_VALUES))
                .tolerance(
                        config.get(DeadLetterOptions.TOLERANCE_MAX_FAILURES),
                        config.get(DeadLetterOptions.TOLERANCE_WINDOW))
                .maxStackTraceLength(config.get(DeadLetterOptions.MAX_STACK_TRACE_LENGTH))
                .maxRecordBytes(config.get(DeadLetterOptions.MAX_RECORD_BYTES))
                .redactHeaders(config.get(DeadLetterOptions.REDACT_HEADERS).toArray(new String[0]))
                .redactFields(config.get(DeadLetterOptions.REDACT_FIELDS).toArray(new String[0]))
                .maskSecrets(secrets)
                .build();
    }

    public String jobName() {
        return jobName;
    }

    public FailureAction actionFor(FailureStage stage) {
        return actions.getOrDefault(stage, FailureAction.DEAD_LETTER);
    }

    /** Most failed records per subtask in {@link #toleranceWindow()} before the job fails. */
    public int toleranceCount() {
        return toleranceCount;
    }

    public Duration toleranceWindow() {
        return toleranceWindow;
    }

    public int maxStackTraceLength() {
        return maxStackTraceLength;
    }

    /** Header names (lower case) never copied into a dead letter. */
    public Set<String> redactedHeaders() {
        return redactedHeaders;
    }

    /** Secret values replaced by {@code ******} in messages and stack traces. */
    public Set<String> maskedSecrets() {
        return maskedSecrets;
    }

    /**
     * Fields (e.g. personal data) masked when an operator's input is attached to a dead letter;
     * matched by name at any depth of an Avro record.
     */
    public Set<String> redactedFields() {
        return redactedFields;
    }

    /** Larger records are rejected with reason {@code OVERSIZED} before deserialization. */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** What happens to records with a null value (Kafka tombstones) where a value is required. */
    public FailureAction nullValues() {
        return nullValues;
    }

    /** Builder of {@link DeadLetterPolicy}. */
    @PublicEvolving
    public static final class Builder {
        private final String jobName;
        private final Map<FailureStage, FailureAction> actions = new EnumMap<>(FailureStage.class);
        private int toleranceCount = 1000;
        private Duration toleranceWindow = Duration.ofMinutes(1);
        private int maxStackTraceLength = 4000;
        private final Set<String> redactedHeaders = new LinkedHashSet<>();
        private final Set<String> maskedSecrets = new LinkedHashSet<>();
        private final Set<String> redactedFields = new LinkedHashSet<>();
        private int maxRecordBytes = Integer.MAX_VALUE;
        private FailureAction nullValues = FailureAction.DEAD_LETTER;

        private Builder(String jobName) {
            this.jobName = Objects.requireNonNull(jobName, "jobName");
        }

        /** The action for failures at {@code stage} (default {@link FailureAction#DEAD_LETTER}). */
        public Builder onFailure(FailureStage stage, FailureAction action) {
            actions.put(
                    Objects.requireNonNull(stage, "stage"),
                    Objects.requireNonNull(action, "action"));
            return this;
        }

        /**
         * Fail the job when a subtask sees more than {@code maxFailures} failed records within
         * {@code window} (default 1000 per minute).
         */
        public Builder tolerance(int maxFailures, Duration window) {
            this.toleranceCount = maxFailures;
            this.toleranceWindow = Objects.requireNonNull(window, "window");
            return this;
        }

        /** Longest stack trace kept in a dead letter, in characters (default 4000). */
        public Builder maxStackTraceLength(int characters) {
            this.maxStackTraceLength = characters;
            return this;
        }

        /** Headers never copied into a dead letter (case-insensitive), e.g. credentials. */
        public Builder redactHeaders(String... names) {
            for (String name : names) {
                redactedHeaders.add(
                        Objects.requireNonNull(name, "header").toLowerCase(Locale.ROOT));
            }
            return this;
        }

        /**
         * Secret values (passwords, keys) masked in a dead letter's error message and stack trace.
         * Headers are copied as received unless listed in {@link #redactHeaders}.
         */
        public Builder maskSecrets(String... secrets) {
            Arrays.stream(secrets)
                    .filter(s -> s != null && !s.isEmpty())
                    .forEach(maskedSecrets::add);
            return this;
        }

        /**
         * Fields never copied into a dead letter when an operator's input is attached (e.g. {@code
         * "email"}, {@code "cardholderName"}): the input is then attached as JSON with these fields
         * masked, instead of as Avro binary.
         */
        public Builder redactFields(String... fieldNames) {
            for (String name : fieldNames) {
                redactedFields.add(Objects.requireNonNull(name, "field"));
            }
            return this;
        }

        /** Reject records larger than this many bytes (key + value) as {@code OVERSIZED}. */
        public Builder maxRecordBytes(int bytes) {
            this.maxRecordBytes = bytes;
            return this;
        }

        /** What to do with null values (default {@link FailureAction#DEAD_LETTER}). */
        public Builder nullValues(FailureAction action) {
            this.nullValues = Objects.requireNonNull(action, "action");
            return this;
        }

        public DeadLetterPolicy build() {
            if (jobName.isBlank()) {
                throw new IllegalArgumentException(
                        "DeadLetterPolicy needs the job's name: dead letters carry it");
            }
            if (toleranceCount < 1) {
                throw new IllegalArgumentException(
                        "tolerance must allow at least 1 failed record per window, was "
                                + toleranceCount
                                + "; use onFailure(stage, FAIL) to fail on the first one");
            }
            if (toleranceWindow.isNegative() || toleranceWindow.isZero()) {
                throw new IllegalArgumentException(
                        "tolerance window must be positive, was " + toleranceWindow);
            }
            if (maxStackTraceLength < 0 || maxRecordBytes < 1) {
                throw new IllegalArgumentException(
                        "maxStackTraceLength must be >= 0 and maxRecordBytes >= 1, were "
                                + maxStackTraceLength
                                + " and "
                                + maxRecordBytes);
            }
            return new DeadLetterPolicy(this);
        }
    }
}
