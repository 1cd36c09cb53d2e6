package io.pipelinekit.testkit.chaos;

import io.pipelinekit.testkit.flink.FlinkTestCluster;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.JobID;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The account of a chaos run: faults injected by kind, job restarts, checkpoints completed and
 * failed, records in and out, duplicates and losses, each fault's recovery time, and the invariant
 * checks; rendered as Markdown with {@link #toMarkdown()}.
 *
 * <pre>{@code
 * ChaosReport report =
 *         ChaosReport.builder()
 *                 .plan(plan)
 *                 .events(injector.events())
 *                 .flinkJob(flink, jobId)            // restarts and checkpoints
 *                 .recordsIn(expected)
 *                 .recordsOut(output.size())
 *                 .check(checker.check(expectedPerKey))
 *                 .build();
 * System.out.println(report.toMarkdown());
 * report.assertHolds();
 * }</pre>
 */
@PublicEvolving
public final class ChaosReport {

    private final FaultPlan plan;
    private final List<FaultEvent> events;
    private final OptionalLong restarts;
    private final OptionalLong checkpointsCompleted;
    private final OptionalLong checkpointsFailed;
    private final OptionalLong recordsIn;
    private final OptionalLong recordsOut;
    private final List<InvariantResult> checks;

    private ChaosReport(Builder builder) {
        this.plan = builder.plan;
        this.events = List.copyOf(builder.events);
        this.restarts = builder.restarts;
        this.checkpointsCompleted = builder.checkpointsCompleted;
        this.checkpointsFailed = builder.checkpointsFailed;
        this.recordsIn = builder.recordsIn;
        this.recordsOut = builder.recordsOut;
        this.checks = List.copyOf(builder.checks);
    }

    public static Builder builder() {
        return new Builder();
    }

    public FaultPlan plan() {
        return plan;
    }

    public List<FaultEvent> events() {
        return events;
    }

    /** Faults injected per kind (failed injections not counted). */
    public Map<FaultKind, Long> faultsByKind() {
        Map<FaultKind, Long> byKind = new EnumMap<>(FaultKind.class);
        for (FaultEvent event : events) {
            if (event.injected()) {
                byKind.merge(event.kind(), 1L, Long::sum);
            }
        }
        return byKind;
    }

    public OptionalLong restarts() {
        return restarts;
    }

    public OptionalLong checkpointsCompleted() {
        return checkpointsCompleted;
    }

    public OptionalLong checkpointsFailed() {
        return checkpointsFailed;
    }

    public OptionalLong recordsIn() {
        return recordsIn;
    }

    public OptionalLong recordsOut() {
        return recordsOut;
    }

    public List<InvariantResult> checks() {
        return checks;
    }

    /** The most duplicates any check found. */
    public long duplicates() {
        return checks.stream().mapToLong(InvariantResult::duplicates).max().orElse(0);
    }

    /** The most losses any check found. */
    public long losses() {
        return checks.stream().mapToLong(InvariantResult::losses).max().orElse(0);
    }

    /**
     * What went wrong with the faults themselves, one line each: planned faults that did not run
     * (the run stopped or timed out), faults whose injection failed or was interrupted, faults that
     * were not healed, and events that do not match the plan. Empty when every planned fault ran,
     * in order, and was healed.
     */
    public List<String> faultProblems() {
        List<String> problems = new ArrayList<>();
        Map<Integer, Fault> planned = new LinkedHashMap<>();
        plan.faults().forEach(f -> planned.put(f.number(), f));
        Set<Integer> ran = new HashSet<>();
        for (FaultEvent event : events) {
            Fault fault = event.fault();
            if (!fault.equals(planned.get(fault.number()))) {
                problems.add(fault + " is not in the plan of seed " + plan.seed());
            } else if (!ran.add(fault.number())) {
                problems.add(fault + " ran more than once");
            }
            if (!event.healed()) {
                problems.add(
                        fault
                                + ": "
                                + event.outcome()
                                + (event.healedAt().isPresent() ? "" : ", not healed")
                                + event.error().map(e -> " (" + e + ")").orElse(""));
            }
        }
        for (Fault fault : plan.faults()) {
            if (!ran.contains(fault.number())) {
                problems.add(fault + " did not run");
            }
        }
        if (events.size() != plan.faults().size()) {
            problems.add(events.size() + " of the plan's " + plan.faults().size() + " faults ran");
        }
        return problems;
    }

    /**
     * Whether every check holds and every planned fault ran: injected and healed ({@link
     * #faultProblems()} is empty). A run whose faults did not all happen proves nothing.
     */
    public boolean isClean() {
        return checks.stream().allMatch(InvariantResult::isClean) && faultProblems().isEmpty();
    }

    /** Throws an {@link AssertionError} with the whole report and the replay hint unless clean. */
    public void assertHolds() {
        if (!isClean()) {
            throw new AssertionError(
                    "Chaos run violated its invariants ("
                            + plan.replayHint()
                            + "):\n"
                            + toMarkdown()
                            + "\n"
                            + faultProblems().stream()
                                    .map(p -> "fault problem: " + p + "\n")
                                    .collect(Collectors.joining())
                            + checks.stream()
                                    .filter(c -> !c.isClean())
                                    .map(InvariantResult::summary)
                                    .collect(Collectors.joining("\n")));
        }
    }

    /** The report as Markdown: a summary table, the faults, recovery by kind and the checks. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("### Chaos run, seed ")
                .append(plan.seed())
                .append(isClean() ? ": invariants hold" : ": VIOLATED")
                .append("\n\n");
        out.append("| metric | value |\n|---|---|\n");
        Map<FaultKind, Long> byKind = faultsByKind();
        long injected = byKind.values().stream().mapToLong(Long::longValue).sum();
        row(
                out,
                "faults injected",
                injected
                        + " of "
                        + plan.faults().size()
                        + (byKind.isEmpty()
                                ? ""
                                : " ("
                                        + byKind.entrySet().stream()
                                                .map(e -> e.getKey() + " " + e.getValue())
                                                .collect(Collectors.joining(", "))
                                        + ")"));
        row(out, "job restarts", value(restarts));
        row(
                out,
                "checkpoints completed / failed",
                value(checkpointsCompleted) + " / " + value(checkpointsFailed));
        row(out, "records in / out", value(recordsIn) + " / " + value(recordsOut));
        row(out, "duplicates", checks.isEmpty() ? "n/a" : Long.toString(duplicates()));
        row(out, "losses", checks.isEmpty() ? "n/a" : Long.toString(losses()));
        List<Duration> recoveries =
                events.stream()
                        .map(FaultEvent::recovery)
                        .flatMap(java.util.Optional::stream)
                        .collect(Collectors.toList());
        row(
                out,
                "recovery (max)",
                recoveries.isEmpty()
                        ? "n/a"
                        : Reports.seconds(recoveries.stream().max(Duration::compareTo).get()));

        boolean checkpointColumn = events.stream().anyMatch(e -> e.checkpointsFailed().isPresent());
        out.append("\n| # | at | kind | downtime | recovery |")
                .append(
                        checkpointColumn
                                ? " checkpoints completed while down | checkpoints failed until"
                                        + " next fault |"
                                : "")
                .append(" note |\n");
        out.append("|---|---|---|---|---|")
                .append(checkpointColumn ? "---|---|" : "")
                .append("---|\n");
        for (FaultEvent event : events) {
            out.append("| ")
                    .append(event.fault().number())
                    .append(" | +")
                    .append(Reports.seconds(event.sinceStart()))
                    .append(" | ")
                    .append(event.kind())
                    .append(" | ")
                    .append(event.downtime().map(Reports::seconds).orElse("not healed"))
                    .append(" | ")
                    .append(event.recoveryText())
                    .append(" | ");
            if (checkpointColumn) {
                out.append(value(event.checkpointsCompletedWhileDown()))
                        .append(" | ")
                        .append(value(event.checkpointsFailed()))
                        .append(" | ");
            }
            out.append(
                            Reports.cell(
                                    event.note()
                                            + (event.outcome() == FaultEvent.Outcome.HEALED
                                                    ? ""
                                                    : " " + event.outcome())
                                            + event.error().map(e -> " FAILED: " + e).orElse("")))
                    .append(" |\n");
        }
        List<String> problems = faultProblems();
        if (!problems.isEmpty()) {
            out.append("\nFaults that did not run as planned:\n\n");
            problems.forEach(p -> out.append("- ").append(p).append('\n'));
        }

        out.append("\n| kind | injected | mean recovery | max recovery |\n");
        out.append("|---|---|---|---|\n");
        for (Map.Entry<FaultKind, Long> e : byKind.entrySet()) {
            List<Duration> times =
                    events.stream()
                            .filter(ev -> ev.kind() == e.getKey())
                            .map(FaultEvent::recovery)
                            .flatMap(java.util.Optional::stream)
                            .collect(Collectors.toList());
            out.append("| ")
                    .append(e.getKey())
                    .append(" | ")
                    .append(e.getValue())
                    .append(" | ")
                    .append(
                            times.isEmpty()
                                    ? "-"
                                    : Reports.seconds(
                                            Duration.ofMillis(
                                                    (long)
                                                            times.stream()
                                                                    .mapToLong(Duration::toMillis)
                                                                    .average()
                                                                    .orElse(0))))
                    .append(" | ")
                    .append(
                            times.isEmpty()
                                    ? "-"
                                    : Reports.seconds(
                                            times.stream().max(Duration::compareTo).get()))
                    .append(" |\n");
        }

        if (!checks.isEmpty()) {
            out.append("\n| check | result | lost | duplicated |\n|---|---|---|---|\n");
            for (InvariantResult check : checks) {
                out.append("| ")
                        .append(Reports.cell(check.name()))
                        .append(" | ")
                        .append(check.isClean() ? "holds" : "**VIOLATED**")
                        .append(" | ")
                        .append(check.losses())
                        .append(" | ")
                        .append(check.duplicates())
                        .append(" |\n");
            }
        }
        out.append("\n").append(plan.replayHint()).append('\n');
        return out.toString();
    }

    private static void row(StringBuilder out, String metric, String value) {
        out.append("| ").append(metric).append(" | ").append(Reports.cell(value)).append(" |\n");
    }

    private static String value(OptionalLong value) {
        return value.isPresent() ? Long.toString(value.getAsLong()) : "n/a";
    }

    @Override
    public String toString() {
        return toMarkdown();
    }

    /** Builder of {@link ChaosReport}. */
    @PublicEvolving
    public static final class Builder {
        private FaultPlan plan;
        private final List<FaultEvent> events = new ArrayList<>();
        private OptionalLong restarts = OptionalLong.empty();
        private OptionalLong checkpointsCompleted = OptionalLong.empty();
        private OptionalLong checkpointsFailed = OptionalLong.empty();
        private OptionalLong recordsIn = OptionalLong.empty();
        private OptionalLong recordsOut = OptionalLong.empty();
        private final List<InvariantResult> checks = new ArrayList<>();

        private Builder() {}

        /** The plan that ran; required. */
        public Builder plan(FaultPlan plan) {
            this.plan = Objects.requireNonNull(plan, "plan");
            return this;
        }

        /** What happened, e.g. {@link FaultInjector#events()}. */
        public Builder events(List<FaultEvent> events) {
            Objects.requireNonNull(events, "events")
                    .forEach(e -> this.events.add(Objects.requireNonNull(e, "event")));
            return this;
        }

        /** Restarts and checkpoint counts of a job on a {@link FlinkTestCluster}. */
        public Builder flinkJob(FlinkTestCluster cluster, JobID job) throws Exception {
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(job, "job");
            restarts(cluster.restarts(job));
            return checkpoints(cluster.completedCheckpoints(job), cluster.failedCheckpoints(job));
        }

        public Builder restarts(long count) {
            this.restarts = OptionalLong.of(nonNegative("restarts", count));
            return this;
        }

        public Builder checkpoints(long completed, long failed) {
            this.checkpointsCompleted = OptionalLong.of(nonNegative("completed", completed));
            this.checkpointsFailed = OptionalLong.of(nonNegative("failed", failed));
            return this;
        }

        /** Records the job consumed (e.g. the number the source emitted). */
        public Builder recordsIn(long count) {
            this.recordsIn = OptionalLong.of(nonNegative("recordsIn", count));
            return this;
        }

        /** Records a downstream reader saw. */
        public Builder recordsOut(long count) {
            this.recordsOut = OptionalLong.of(nonNegative("recordsOut", count));
            return this;
        }

        /** An invariant check of the run (adds to earlier ones). */
        public Builder check(InvariantResult result) {
            checks.add(Objects.requireNonNull(result, "result"));
            return this;
        }

        public ChaosReport build() {
            if (plan == null) {
                throw new IllegalArgumentException(
                        "ChaosReport needs plan(...): the seed makes the run replayable");
            }
            return new ChaosReport(this);
        }

        private static long nonNegative(String what, long value) {
            if (value < 0) {
                throw new IllegalArgumentException(what + " must be >= 0, was " + value);
            }
            return value;
        }
    }
}
