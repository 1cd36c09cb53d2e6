package io.pipelinekit.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ComparisonTest {

    private static Sample run(double perSecond, double perCpuSecond) {
        return new Sample("r", 1_000_000, 1_000_000 / perSecond, 1_000_000 / perCpuSecond, -1);
    }

    @Test
    void ratioIsOfMediansOnTheChosenBasis() {
        Comparison wall = new Comparison("t", "a", "b", Comparison.Basis.WALL, 0.9);
        wall.baselineRuns.add(run(100, 50));
        wall.baselineRuns.add(run(300, 50));
        wall.baselineRuns.add(run(200, 50));
        wall.candidateRuns.add(run(170, 100));
        wall.candidateRuns.add(run(190, 100));
        wall.candidateRuns.add(run(1000, 100));
        assertThat(wall.baselineMedian())
                .isEqualTo(200.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(wall.ratio()).isCloseTo(0.95, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(wall.met()).isTrue();
        assertThat(wall.verdict()).startsWith("met");

        Comparison perCore = new Comparison("t", "a", "b", Comparison.Basis.PER_CORE, 2.5);
        perCore.baselineRuns.addAll(wall.baselineRuns);
        perCore.candidateRuns.addAll(wall.candidateRuns);
        assertThat(perCore.ratio()).isCloseTo(2.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(perCore.met()).isFalse();
        assertThat(perCore.verdict()).startsWith("**missed**");
    }

    @Test
    void aComparisonWithoutTargetIsNeverMetNorMissed() {
        Comparison info = new Comparison("t", "a", "b", Comparison.Basis.WALL, Double.NaN);
        info.baselineRuns.add(run(100, 1));
        info.candidateRuns.add(run(50, 1));
        assertThat(info.hasTarget()).isFalse();
        assertThat(info.met()).isFalse();
        assertThat(info.verdict()).isEqualTo("(no target)");
    }

    @Test
    void reportTableListsMediansAndEveryRunInOrder() {
        Comparison c = new Comparison("EOS vs ALO", "alo", "eos", Comparison.Basis.WALL, 0.9);
        c.baselineRuns.add(run(100, 1));
        c.candidateRuns.add(run(80, 1));
        c.baselineRuns.add(run(120, 1));
        c.candidateRuns.add(run(90, 1));
        String table = Report.table(java.util.List.of(c));
        assertThat(table)
                .contains(
                        "| EOS vs ALO | 110 rec/s | 85.00 rec/s | 0.77x | **missed** (>= 0.90x)"
                                + " |");
        assertThat(table.indexOf("| A1 |")).isLessThan(table.indexOf("| B1 |"));
        assertThat(table.indexOf("| B1 |")).isLessThan(table.indexOf("| A2 |"));
    }
}
