package io.pipelinekit.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StatsTest {

    @Test
    void medianOfOddAndEvenCountsIgnoresMissingValues() {
        assertThat(Stats.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Stats.median(Arrays.asList(5.0, Double.NaN, 1.0))).isEqualTo(3.0);
        assertThat(Stats.median(List.<Double>of())).isNaN();
    }

    @Test
    void percentileIsNearestRank() {
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }
        assertThat(Stats.percentile(sorted, 50)).isEqualTo(50);
        assertThat(Stats.percentile(sorted, 99)).isEqualTo(99);
        assertThat(Stats.percentile(sorted, 100)).isEqualTo(100);
        assertThat(Stats.percentile(new long[] {7}, 99)).isEqualTo(7);
        assertThat(Stats.percentile(new long[0], 50)).isEqualTo(-1);
    }

    @Test
    void sampleRatesUseTheWindowAndCpuTime() {
        Sample sample = new Sample("x", 800_000, 8.0, 4.0, 1 << 30);
        assertThat(sample.recordsPerSecond()).isCloseTo(100_000, within(0.001));
        assertThat(sample.recordsPerCpuSecond()).isCloseTo(200_000, within(0.001));
        assertThat(new Sample("y", 10, 0, 0, -1).recordsPerCpuSecond()).isNaN();
    }

    @Test
    void formatsNumbersForTheReport() {
        assertThat(Stats.number(1234567.8)).isEqualTo("1,234,568");
        assertThat(Stats.number(0.456)).isEqualTo("0.46");
        assertThat(Stats.number(Double.NaN)).isEqualTo("-");
        assertThat(Stats.ratio(0.5)).isEqualTo("0.50x");
        assertThat(Stats.mebibytes(3L << 20)).isEqualTo("3 MiB");
    }
}
