package io.pipelinekit.core.time;

import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.types.Either;

import java.time.Duration;
import java.util.Objects;

/**
 * Watermark presets for event-time pipelines, built on Flink's {@link WatermarkStrategy} and meant
 * to be applied at the source ({@code env.fromSource(source, watermarks, name)}) so that watermarks
 * are generated per split (Kafka partition).
 *
 * <pre>{@code
 * WatermarkStrategy<PaymentTransaction> watermarks =
 *         EventTimeWatermarks.<PaymentTransaction>builder()
 *                 .timestamp((payment, previous) -> payment.getEventTime().toEpochMilli())
 *                 .maxOutOfOrderness(Duration.ofSeconds(5))
 *                 .idleness(Duration.ofMinutes(1))
 *                 .build();
 * }</pre>
 *
 * <p>Idleness matters: a partition without records holds back the watermark of the whole job, so
 * windows and timers stall until it receives data. With an idleness timeout the partition is
 * ignored while it is idle.
 */
@PublicEvolving
public final class EventTimeWatermarks {

    private EventTimeWatermarks() {}

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /**
     * The CDC default: no watermarks. Change streams are processed in commit order per key and
     * versioned by LSN; event time is rarely wanted and a snapshot's rows carry no commit time.
     */
    public static <T> WatermarkStrategy<T> forChangeData() {
        return WatermarkStrategy.noWatermarks();
    }

    /**
     * Event time from a change's source commit timestamp ({@code source.ts_ms}), for CDC jobs that
     * do want windows; snapshot rows (timestamp 0) are behind every watermark and should be routed
     * with {@link LateRecords}.
     */
    public static <T> WatermarkStrategy<T> forChangeDataCommitTime(
            SerializableTimestampAssigner<T> commitTimestamp,
            Duration maxOutOfOrderness,
            Duration idleness) {
        return EventTimeWatermarks.<T>builder()
                .timestamp(commitTimestamp)
                .maxOutOfOrderness(maxOutOfOrderness)
                .idleness(idleness)
                .build();
    }

    /** Builder of an event-time {@link WatermarkStrategy}. */
    @PublicEvolving
    public static final class Builder<T> {
        private SerializableTimestampAssigner<T> timestamp;
        private Duration maxOutOfOrderness = Duration.ZERO;
        private Duration idleness;
        private String alignmentGroup;
        private Duration maxAlignmentDrift;
        private Duration alignmentUpdateInterval = Duration.ofSeconds(1);

        private Builder() {}

        /** Where a record's event time comes from (epoch milliseconds). Required. */
        public Builder<T> timestamp(SerializableTimestampAssigner<T> assigner) {
            this.timestamp = Objects.requireNonNull(assigner, "timestamp assigner");
            return this;
        }

        /** How late (in event time) a record may arrive and still count as on time. */
        public Builder<T> maxOutOfOrderness(Duration bound) {
            this.maxOutOfOrderness = Objects.requireNonNull(bound, "maxOutOfOrderness");
            return this;
        }

        /** A split without records for this long stops holding the watermark back. */
        public Builder<T> idleness(Duration timeout) {
            this.idleness = Objects.requireNonNull(timeout, "idleness");
            return this;
        }

        /**
         * Watermark alignment: sources of the same group pause splits that run more than {@code
         * maxDrift} ahead of the slowest, so that a backlog on one source does not blow up state.
         */
        public Builder<T> alignment(String group, Duration maxDrift) {
            this.alignmentGroup = Objects.requireNonNull(group, "group");
            this.maxAlignmentDrift = Objects.requireNonNull(maxDrift, "maxDrift");
            return this;
        }

        /** How often aligned sources exchange watermarks (default 1 s). */
        public Builder<T> alignmentUpdateInterval(Duration interval) {
            this.alignmentUpdateInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        public WatermarkStrategy<T> build() {
            validate();
            return strategy(timestamp);
        }

        /**
         * The same strategy for a source that yields {@code Either<DeadLetter, T>} (see {@code
         * DeadLetterKafkaDeserializer}): values get their event time, dead letters none, so a bad
         * record never moves event time.
         */
        public WatermarkStrategy<Either<DeadLetter, T>> buildForDeadLetterSource() {
            validate();
            SerializableTimestampAssigner<T> valueTimestamp = timestamp;
            return strategy(
                    (decoded, recordTimestamp) ->
                            decoded.isRight()
                                    ? valueTimestamp.extractTimestamp(
                                            decoded.right(), recordTimestamp)
                                    : Long.MIN_VALUE);
        }

        private void validate() {
            if (timestamp == null) {
                throw new IllegalStateException(
                        "An event-time watermark strategy needs timestamp(...): which field of the"
                            + " record holds its event time? (For change data without event time"
                            + " use EventTimeWatermarks.forChangeData().)");
            }
            if (maxOutOfOrderness.isNegative()) {
                throw new IllegalArgumentException(
                        "maxOutOfOrderness must not be negative, was " + maxOutOfOrderness);
            }
            if (idleness != null && (idleness.isNegative() || idleness.isZero())) {
                throw new IllegalArgumentException("idleness must be positive, was " + idleness);
            }
            if (maxAlignmentDrift != null
                    && (maxAlignmentDrift.isNegative() || maxAlignmentDrift.isZero())) {
                throw new IllegalArgumentException(
                        "alignment maxDrift must be positive, was " + maxAlignmentDrift);
            }
        }

        private <R> WatermarkStrategy<R> strategy(SerializableTimestampAssigner<R> assigner) {
            WatermarkStrategy<R> strategy =
                    WatermarkStrategy.<R>forBoundedOutOfOrderness(maxOutOfOrderness)
                            .withTimestampAssigner(assigner);
            if (idleness != null) {
                strategy = strategy.withIdleness(idleness);
            }
            if (alignmentGroup != null) {
                strategy =
                        strategy.withWatermarkAlignment(
                                alignmentGroup, maxAlignmentDrift, alignmentUpdateInterval);
            }
            return strategy;
        }
    }
}
