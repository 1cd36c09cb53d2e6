package io.pipelinekit.testkit.chaos;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChaosReportTest {

    private static final FaultPlan PLAN =
            FaultPlan.builder()
                    .seed(99)
                    .faults(3)
                    .kinds(FaultKind.TASK_MANAGER_KILL, FaultKind.KAFKA_BROKER_RESTART)
                    .build();

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static FaultEvent healed(int index, int at, int healedAt, String note) {
        return new FaultEvent(
                PLAN.faults().get(index),
                FaultEvent.Outcome.HEALED,
                T0.plusSeconds(at),
                Duration.ofSeconds(at),
                T0.plusSeconds(healedAt),
                note,
                null);
    }

    /** Three healed faults; the third did not recover before the run ended. */
    private static List<FaultEvent> healedEvents() {
        return List.of(
                healed(0, 4, 6, "task manager 0 terminated")
                        .withRecovery(Duration.ofMillis(7300), false)
                        .withCheckpointsFailed(1L)
                        .withCheckpointsCompletedWhileDown(0L),
                healed(1, 12, 15, "broker | killed")
                        .withRecovery(Duration.ofMillis(9100), false)
                        .withCheckpointsFailed(4L),
                healed(2, 20, 21, "").withRecovery(null, false).withCheckpointsFailed(0L));
    }

    /** Two healed faults, the first cut off by the second, and a failed injection. */
    private static List<FaultEvent> events() {
        return List.of(
                healed(0, 4, 6, "task manager 0 terminated").withRecovery(null, true),
                healed(1, 12, 15, "broker | killed").withRecovery(Duration.ofMillis(9100), false),
                new FaultEvent(
                        PLAN.faults().get(2),
                        FaultEvent.Outcome.INJECT_FAILED,
                        T0.plusSeconds(20),
                        Duration.ofSeconds(20),
                        null,
                        "",
                        "inject failed: boom"));
    }

    @Test
    void rendersEveryMetricAsMarkdown() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        checker.accept("k", 0);
        checker.accept("k", 1);
        ChaosReport report =
                ChaosReport.builder()
                        .plan(PLAN)
                        .events(healedEvents())
                        .restarts(3)
                        .checkpoints(40, 2)
                        .recordsIn(2)
                        .recordsOut(2)
                        .check(checker.check(Map.of("k", 2L)))
                        .build();
        String markdown = report.toMarkdown();
        assertThat(report.isClean()).isTrue();
        assertThat(report.faultProblems()).isEmpty();
        report.assertHolds();
        assertThat(report.faultsByKind().values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(3);
        assertThat(markdown)
                .contains("### Chaos run, seed 99: invariants hold")
                .contains("| faults injected | 3 of 3 (")
                .contains("| job restarts | 3 |")
                .contains("| checkpoints completed / failed | 40 / 2 |")
                .contains("| records in / out | 2 / 2 |")
                .contains("| duplicates | 0 |")
                .contains("| losses | 0 |")
                .contains("| recovery (max) | 9.1 s |")
                .contains(
                        "| 1 | +4.0 s | "
                                + PLAN.faults().get(0).kind()
                                + " | 2.0 s | 7.3 s | 0 | 1 | task manager 0 terminated |")
                .contains(
                        "| 3 | +20.0 s | "
                                + PLAN.faults().get(2).kind()
                                + " | 1.0 s | - | n/a | 0 |")
                .contains(
                        "| checkpoints completed while down | checkpoints failed until next fault"
                                + " |")
                .doesNotContain("did not run")
                .contains("broker \\| killed")
                .contains("| per-key sequences (exactly-once, final) | holds | 0 | 0 |")
                .contains("replay with -Dchaos.seed=99");
    }

    @Test
    void aViolationOrAFailedFaultFailsTheReportWithTheReplayHint() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        checker.accept("k", 0);
        checker.accept("k", 0);
        ChaosReport report =
                ChaosReport.builder()
                        .plan(PLAN)
                        .events(events())
                        .check(checker.check(Map.of("k", 3L)))
                        .build();
        assertThat(report.isClean()).isFalse();
        assertThat(report.duplicates()).isEqualTo(1);
        assertThat(report.losses()).isEqualTo(2);
        assertThat(report.faultsByKind().values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(2);
        assertThat(report.toMarkdown())
                .contains(": VIOLATED")
                .contains("**VIOLATED**")
                .contains("INJECT_FAILED FAILED: inject failed: boom")
                .contains("| not recovered before next fault |")
                .doesNotContain("checkpoints failed until next fault")
                .contains("| job restarts | n/a |");
        assertThat(report.faultProblems())
                .hasSize(1)
                .allMatch(p -> p.startsWith("#3 ") && p.contains("INJECT_FAILED"));
        assertThatThrownBy(report::assertHolds)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("-Dchaos.seed=99")
                .hasMessageContaining("key k: 0 again");
    }

    @Test
    void faultsThatDidNotRunMakeTheReportUnclean() {
        ChaosReport report =
                ChaosReport.builder().plan(PLAN).events(healedEvents().subList(0, 2)).build();
        assertThat(report.isClean()).isFalse();
        assertThat(report.faultProblems())
                .containsExactly(
                        PLAN.faults().get(2) + " did not run", "2 of the plan's 3 faults ran");
        assertThat(report.toMarkdown())
                .contains(": VIOLATED")
                .contains("Faults that did not run as planned")
                .contains("- " + PLAN.faults().get(2) + " did not run");
        assertThatThrownBy(report::assertHolds)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("fault problem: " + PLAN.faults().get(2) + " did not run");
        // No events at all: nothing was tested.
        assertThat(ChaosReport.builder().plan(PLAN).build().isClean()).isFalse();
    }

    @Test
    void anUnhealedFaultMakesTheReportUnclean() {
        FaultEvent notHealed =
                new FaultEvent(
                        PLAN.faults().get(2),
                        FaultEvent.Outcome.HEAL_FAILED,
                        T0.plusSeconds(20),
                        Duration.ofSeconds(20),
                        null,
                        "",
                        "heal failed: still down");
        List<FaultEvent> all = new java.util.ArrayList<>(healedEvents().subList(0, 2));
        all.add(notHealed);
        ChaosReport report = ChaosReport.builder().plan(PLAN).events(all).build();
        assertThat(report.isClean()).isFalse();
        assertThat(report.faultProblems())
                .containsExactly(
                        PLAN.faults().get(2)
                                + ": HEAL_FAILED, not healed (heal failed: still down)");
        assertThat(report.toMarkdown()).contains("| not healed |");
    }

    @Test
    void aReportNeedsItsPlan() {
        assertThatThrownBy(() -> ChaosReport.builder().build())
                .hasMessageContaining("needs plan(...)");
        assertThatThrownBy(() -> ChaosReport.builder().restarts(-1))
                .hasMessageContaining("restarts must be >= 0");
    }
}
