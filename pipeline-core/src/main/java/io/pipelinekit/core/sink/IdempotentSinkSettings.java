package io.pipelinekit.core.sink;

import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.DeadLetterOutput;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.core.kafka.KafkaFactories;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;

import javax.annotation.Nullable;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Batching, retries and dead-letter handling of an {@link IdempotentSink}: immutable, shared by all
 * its subtasks.
 *
 * <pre>{@code
 * IdempotentSinkSettings settings =
 *         IdempotentSinkSettings.builder(DeadLetterPolicy.fromConfig("inventory-sync", config))
 *                 .deadLetterOutput(DeadLetterOutput.kafka(kafkaProperties, "inventory-sync.dlq"))
 *                 .maxBatchSize(1000)
 *                 .maxBufferTime(Duration.ofMillis(500))
 *                 .build();
 * }</pre>
 */
@PublicEvolving
public final class IdempotentSinkSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int maxBatchSize;
    private final int maxBufferedRecords;
    private final Duration maxBufferTime;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final DeadLetterPolicy deadLetterPolicy;
    @Nullable private final DeadLetterOutput deadLetterOutput;

    private IdempotentSinkSettings(Builder builder) {
        this.maxBatchSize = builder.maxBatchSize;
        this.maxBufferedRecords = builder.maxBufferedRecords;
        this.maxBufferTime = builder.maxBufferTime;
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.deadLetterPolicy = builder.deadLetterPolicy;
        this.deadLetterOutput = builder.deadLetterOutput;
    }

    /**
     * Settings with the defaults of {@link IdempotentSinkOptions}; {@code policy} decides what
     * happens to records the target rejects (its action for {@link FailureStage#SINK}).
     */
    public static Builder builder(DeadLetterPolicy policy) {
        return new Builder(policy);
    }

    /**
     * A builder with the values of {@link IdempotentSinkOptions} in {@code config}; when {@code
     * policy} dead-letters sink failures and {@code dlq.topic} is set, rejected records go to that
     * topic (as {@link io.pipelinekit.core.dlq.DeadLetterSink#fromConfig} writes it).
     */
    public static Builder fromConfig(ReadableConfig config, DeadLetterPolicy policy) {
        Objects.requireNonNull(config, "config");
        Builder builder = builder(policy);
        if (policy.actionFor(FailureStage.SINK) != FailureAction.DEAD_LETTER) {
            return withOptions(builder, config);
        }
        config.getOptional(DeadLetterOptions.TOPIC)
                .ifPresent(
                        topic ->
                                builder.deadLetterOutput(
                                        DeadLetterOutput.kafka(
                                                KafkaFactories.clientProperties(config), topic)));
        return withOptions(builder, config);
    }

    private static Builder withOptions(Builder builder, ReadableConfig config) {
        return builder.maxBatchSize(config.get(IdempotentSinkOptions.BATCH_MAX_RECORDS))
                .maxBufferedRecords(config.get(IdempotentSinkOptions.BUFFER_MAX_RECORDS))
                .maxBufferTime(config.get(IdempotentSinkOptions.BUFFER_MAX_TIME))
                .retries(
                        config.get(IdempotentSinkOptions.RETRY_MAX_ATTEMPTS),
                        config.get(IdempotentSinkOptions.RETRY_INITIAL_BACKOFF),
                        config.get(IdempotentSinkOptions.RETRY_MAX_BACKOFF));
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    public int maxBufferedRecords() {
        return maxBufferedRecords;
    }

    public Duration maxBufferTime() {
        return maxBufferTime;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration initialBackoff() {
        return initialBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    public DeadLetterPolicy deadLetterPolicy() {
        return deadLetterPolicy;
    }

    /** Where rejected records go; null when the policy never dead-letters sink failures. */
    @Nullable
    public DeadLetterOutput deadLetterOutput() {
        return deadLetterOutput;
    }

    /** Builder of {@link IdempotentSinkSettings}. */
    @PublicEvolving
    public static final class Builder {
        private int maxBatchSize = IdempotentSinkOptions.BATCH_MAX_RECORDS.defaultValue();
        private int maxBufferedRecords = IdempotentSinkOptions.BUFFER_MAX_RECORDS.defaultValue();
        private Duration maxBufferTime = IdempotentSinkOptions.BUFFER_MAX_TIME.defaultValue();
        private int maxAttempts = IdempotentSinkOptions.RETRY_MAX_ATTEMPTS.defaultValue();
        private Duration initialBackoff =
                IdempotentSinkOptions.RETRY_INITIAL_BACKOFF.defaultValue();
        private Duration maxBackoff = IdempotentSinkOptions.RETRY_MAX_BACKOFF.defaultValue();
        private final DeadLetterPolicy deadLetterPolicy;
        private DeadLetterOutput deadLetterOutput;

        private Builder(DeadLetterPolicy policy) {
            this.deadLetterPolicy = Objects.requireNonNull(policy, "deadLetterPolicy");
        }

        /** Most records per write to the target (default 500). */
        public Builder maxBatchSize(int records) {
            this.maxBatchSize = records;
            return this;
        }

        /** Most distinct keys buffered before the buffer is written (default 5000). */
        public Builder maxBufferedRecords(int records) {
            this.maxBufferedRecords = records;
            return this;
        }

        /** Longest a record waits in the buffer (default 1 s). */
        public Builder maxBufferTime(Duration time) {
            this.maxBufferTime = Objects.requireNonNull(time, "maxBufferTime");
            return this;
        }

        /**
         * Attempts per batch on transient failures, with backoff doubling from {@code initial} up
         * to {@code max} (default 8 attempts, 100 ms to 10 s).
         */
        public Builder retries(int maxAttempts, Duration initial, Duration max) {
            this.maxAttempts = maxAttempts;
            this.initialBackoff = Objects.requireNonNull(initial, "initialBackoff");
            this.maxBackoff = Objects.requireNonNull(max, "maxBackoff");
            return this;
        }

        /** Where records the target rejects go (stage SINK). */
        public Builder deadLetterOutput(DeadLetterOutput output) {
            this.deadLetterOutput = Objects.requireNonNull(output, "deadLetterOutput");
            return this;
        }

        public IdempotentSinkSettings build() {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException(
                        "maxBatchSize must be >= 1, was " + maxBatchSize);
            }
            if (maxBufferedRecords < maxBatchSize) {
                throw new IllegalArgumentException(
                        "maxBufferedRecords ("
                                + maxBufferedRecords
                                + ") must be >= maxBatchSize ("
                                + maxBatchSize
                                + "): the buffer is written in batches; raise "
                                + IdempotentSinkOptions.BUFFER_MAX_RECORDS.key()
                                + " or lower "
                                + IdempotentSinkOptions.BATCH_MAX_RECORDS.key()
                                + ".");
            }
            if (maxBufferTime.isNegative() || maxBufferTime.isZero()) {
                throw new IllegalArgumentException(
                        "maxBufferTime must be positive, was " + maxBufferTime);
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException(
                        "retries need maxAttempts >= 1 (1 = no retry), was " + maxAttempts);
            }
            if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException(
                        "retry backoff must satisfy 0 <= initial <= max, was "
                                + initialBackoff
                                + " .. "
                                + maxBackoff);
            }
            if (deadLetterPolicy.actionFor(FailureStage.SINK) == FailureAction.DEAD_LETTER
                    && deadLetterOutput == null) {
                throw new IllegalArgumentException(
                        "The dead-letter policy of job '"
                                + deadLetterPolicy.jobName()
                                + "' sends records the sink's target rejects to the dead-letter"
                                + " queue, but no deadLetterOutput is set: set "
                                + DeadLetterOptions.TOPIC.key()
                                + " (with fromConfig) or deadLetterOutput(...) (e.g."
                                + " DeadLetterOutput.kafka(properties, \"<job>.dlq\")), or choose"
                                + " SKIP_AND_COUNT or FAIL for stage SINK.");
            }
            return new IdempotentSinkSettings(this);
        }
    }
}
