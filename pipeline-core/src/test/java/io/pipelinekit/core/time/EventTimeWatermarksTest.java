package io.pipelinekit.core.time;

import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.types.Either;
import org.apache.flink.util.clock.ManualClock;
import org.apache.flink.util.clock.RelativeClock;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The presets' watermark generators, driven with a controllable clock. */
class EventTimeWatermarksTest {

    // Not at 0: Flink's idleness timer reads a start time of 0 as "not started".
    private final ManualClock clock = new ManualClock(Duration.ofHours(1).toNanos());
    private final RecordingOutput output = new RecordingOutput();

    @Test
    void watermarkTrailsTheLargestTimestampByTheOutOfOrdernessBound() {
        WatermarkGenerator<Long> generator =
                generator(
                        EventTimeWatermarks.<Long>builder()
                                .timestamp((v, p) -> v)
                                .maxOutOfOrderness(Duration.ofSeconds(5))
                                .build());

        generator.onEvent(20_000L, 20_000L, output);
        generator.onEvent(12_000L, 12_000L, output);
        generator.onPeriodicEmit(output);

        assertThat(output.watermarks).containsExactly(20_000L - 5_000L - 1);
    }

    @Test
    void anEmptySplitBecomesIdleAfterTheTimeoutAndActiveWithTheNextRecord() {
        WatermarkGenerator<Long> generator =
                generator(
                        EventTimeWatermarks.<Long>builder()
                                .timestamp((v, p) -> v)
                                .idleness(Duration.ofSeconds(30))
                                .build());

        generator.onPeriodicEmit(output);
        clock.advanceTime(Duration.ofSeconds(29));
        generator.onPeriodicEmit(output);
        assertThat(output.idle).isFalse();

        clock.advanceTime(Duration.ofSeconds(2));
        generator.onPeriodicEmit(output);
        assertThat(output.idle).isTrue();

        generator.onEvent(1_000L, 1_000L, output);
        generator.onPeriodicEmit(output);
        assertThat(output.idle).isFalse();
        assertThat(output.watermarks).last().isEqualTo(999L);
    }

    @Test
    void withoutIdlenessAnEmptySplitNeverGoesIdle() {
        WatermarkGenerator<Long> generator =
                generator(EventTimeWatermarks.<Long>builder().timestamp((v, p) -> v).build());

        clock.advanceTime(Duration.ofHours(1));
        generator.onPeriodicEmit(output);

        assertThat(output.idle).isFalse();
        assertThat(output.idleMarks).isZero();
    }

    @Test
    void deadLettersNeverMoveEventTime() {
        WatermarkStrategy<Either<DeadLetter, Long>> strategy =
                EventTimeWatermarks.<Long>builder()
                        .timestamp((v, p) -> v)
                        .buildForDeadLetterSource();
        TimestampAssigner<Either<DeadLetter, Long>> assigner =
                strategy.createTimestampAssigner(() -> null);
        WatermarkGenerator<Either<DeadLetter, Long>> generator =
                strategy.createWatermarkGenerator(context());

        long valueTime = assigner.extractTimestamp(Either.Right(5_000L), 99L);
        long letterTime = assigner.extractTimestamp(Either.Left(new DeadLetter()), 1_000_000L);
        generator.onEvent(Either.Right(5_000L), valueTime, output);
        generator.onEvent(Either.Left(new DeadLetter()), letterTime, output);
        generator.onPeriodicEmit(output);

        assertThat(valueTime).isEqualTo(5_000L);
        assertThat(output.watermarks).containsExactly(4_999L);
    }

    @Test
    void alignmentIsPassedToFlink() {
        WatermarkStrategy<Long> strategy =
                EventTimeWatermarks.<Long>builder()
                        .timestamp((v, p) -> v)
                        .alignment("payments", Duration.ofSeconds(20))
                        .build();

        assertThat(strategy.getAlignmentParameters().getWatermarkGroup()).isEqualTo("payments");
        assertThat(strategy.getAlignmentParameters().getMaxAllowedWatermarkDrift())
                .isEqualTo(20_000L);
    }

    @Test
    void mistakesAreExplained() {
        assertThatThrownBy(() -> EventTimeWatermarks.<Long>builder().build())
                .hasMessageContaining("needs timestamp(...)")
                .hasMessageContaining("forChangeData()");
        assertThatThrownBy(
                        () ->
                                EventTimeWatermarks.<Long>builder()
                                        .timestamp((v, p) -> v)
                                        .idleness(Duration.ZERO)
                                        .build())
                .hasMessageContaining("idleness must be positive");
    }

    private WatermarkGenerator<Long> generator(WatermarkStrategy<Long> strategy) {
        return strategy.createWatermarkGenerator(context());
    }

    private WatermarkGeneratorSupplier.Context context() {
        return new WatermarkGeneratorSupplier.Context() {
            @Override
            public MetricGroup getMetricGroup() {
                return new UnregisteredMetricsGroup();
            }

            @Override
            public RelativeClock getInputActivityClock() {
                return clock;
            }
        };
    }

    private static final class RecordingOutput implements WatermarkOutput {
        final List<Long> watermarks = new ArrayList<>();
        boolean idle;
        int idleMarks;

        @Override
        public void emitWatermark(Watermark watermark) {
            watermarks.add(watermark.getTimestamp());
            idle = false;
        }

        @Override
        public void markIdle() {
            idle = true;
            idleMarks++;
        }

        @Override
        public void markActive() {
            idle = false;
        }
    }
}
