package io.pipelinekit.testkit.chaos;

import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.postgres.PostgresService;
import io.pipelinekit.testkit.s3.EmbeddedS3;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.JobID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Runs a {@link FaultPlan} against the targets registered with it while a pipeline runs: injects
 * each fault after its delay, heals it after its downtime, and records what happened ({@link
 * #events()}), including how long the output took to recover when given an output probe.
 *
 * <pre>{@code
 * try (FaultInjector chaos =
 *         FaultInjector.builder(plan)
 *                 .taskManagers(flinkCluster)
 *                 .operatorFailures("chaos")          // a FailAfterCheckpoint in the job
 *                 .kafkaBroker(broker)
 *                 .s3(s3)
 *                 .outputProgress(output::count)      // e.g. a ReadCommittedTail
 *                 .build()
 *                 .start()) {
 *     chaos.awaitCompletion(Duration.ofMinutes(3));
 *     List<FaultEvent> events = chaos.events();
 * }
 * }</pre>
 *
 * <p>Faults run one after another on a thread of the injector. {@link #close()} stops the plan and
 * heals a fault that is still active, so services are back for the test's final checks.
 */
@PublicEvolving
public final class FaultInjector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    private final FaultPlan plan;
    private final Map<FaultKind, FaultAction> actions;
    @Nullable private final LongSupplier outputProgress;
    @Nullable private final LongSupplier failedCheckpoints;
    @Nullable private final LongSupplier completedCheckpoints;
    private final Duration probeInterval;
    private final Duration inFlightGrace;
    private final Clock clock;

    /** How long {@link #close()} waits for the injector's thread to stop (and heal). */
    private final Duration closeTimeout;

    private final List<FaultEvent> events = new ArrayList<>();

    /** Failed checkpoints just before each event's injection (null: not sampled). */
    private final List<Long> failedBefore = new ArrayList<>();

    private final ProgressLog progress = new ProgressLog();
    private volatile Thread runner;
    private volatile Thread prober;
    private volatile boolean stopping;

    /** What the injector's thread is doing, for {@link #close()}'s error. */
    private volatile String step = "not started";

    private Instant startedAt;
    @Nullable private Fault active;
    @Nullable private Instant activeSince;
    @Nullable private Long activeFailedBefore;
    @Nullable private Long activeCompletedAtInjection;
    private boolean activeInterrupted;
    private String activeNote = "";

    private FaultInjector(Builder builder) {
        this.plan = builder.plan;
        this.actions = new EnumMap<>(builder.actions);
        this.outputProgress = builder.outputProgress;
        this.failedCheckpoints = builder.failedCheckpoints;
        this.completedCheckpoints = builder.completedCheckpoints;
        this.probeInterval = builder.probeInterval;
        this.inFlightGrace = builder.inFlightGrace;
        this.clock = builder.clock;
        this.closeTimeout = builder.closeTimeout;
    }

    /** A builder that runs {@code plan}; register a target for every kind in the plan. */
    public static Builder builder(FaultPlan plan) {
        return new Builder(plan);
    }

    public FaultPlan plan() {
        return plan;
    }

    /** Starts running the plan in the background; returns at once. */
    public synchronized FaultInjector start() {
        if (runner != null) {
            throw new IllegalStateException("FaultInjector already started");
        }
        LOG.info("Chaos run starting. {}", plan.toTable());
        if (outputProgress != null) {
            long count = outputProgress.getAsLong();
            startedAt = clock.instant();
            progress.add(startedAt, count);
            prober = new Thread(this::probe, "chaos-output-probe");
            prober.setDaemon(true);
            prober.start();
        } else {
            startedAt = clock.instant();
        }
        step = "starting";
        runner = new Thread(this::run, "chaos-fault-injector");
        runner.setDaemon(true);
        runner.start();
        return this;
    }

    /**
     * Waits until every fault was injected and healed; fails if that takes longer than {@code
     * timeout} or if a fault could not be injected or healed (with the plan, for a replay).
     */
    public void awaitCompletion(Duration timeout) throws InterruptedException, TimeoutException {
        Thread thread = runner;
        if (thread == null) {
            throw new IllegalStateException("FaultInjector not started: call start() first");
        }
        thread.join(Math.max(1, timeout.toMillis()));
        if (thread.isAlive()) {
            throw new TimeoutException(
                    "The fault plan did not finish within "
                            + Reports.seconds(timeout)
                            + " (it needs at least "
                            + Reports.seconds(plan.minimumDuration())
                            + "; now "
                            + step
                            + "). So far:\n"
                            + describeEvents()
                            + "\n"
                            + plan.toTable());
        }
        List<FaultEvent> all = events();
        List<FaultEvent> failed =
                all.stream().filter(e -> !e.healed()).collect(Collectors.toList());
        if (!failed.isEmpty() || all.size() != plan.faults().size()) {
            throw new IllegalStateException(
                    "Fault injection failed ("
                            + all.size()
                            + " of "
                            + plan.faults().size()
                            + " faults ran):\n  "
                            + failed.stream()
                                    .map(FaultEvent::toString)
                                    .collect(Collectors.joining("\n  "))
                            + "\n"
                            + plan.toTable());
        }
    }

    /** Whether every fault of the plan has been handled (or the run was stopped). */
    public boolean isDone() {
        Thread thread = runner;
        return thread != null && !thread.isAlive();
    }

    /**
     * What happened so far, in order, with each fault's recovery time: from the end of its
     * injection (so including its downtime) to the first output progress after it, but before the
     * next fault's injection (else {@link FaultEvent#notRecoveredBeforeNextFault()}); progress
     * observed within the in-flight grace after the injection is output that was already on its
     * way, and does not count. With {@link Builder#checkpoints checkpoints}, also the checkpoints
     * that completed while each fault was active and the checkpoints that failed from each fault to
     * the next.
     */
    public List<FaultEvent> events() {
        List<FaultEvent> recorded;
        List<Long> before;
        synchronized (this) {
            recorded = new ArrayList<>(events);
            before = new ArrayList<>(failedBefore);
        }
        Long failedNow = recorded.isEmpty() ? null : sample(failedCheckpoints, "failed");
        List<FaultEvent> result = new ArrayList<>();
        for (int i = 0; i < recorded.size(); i++) {
            FaultEvent event = recorded.get(i);
            boolean last = i + 1 == recorded.size();
            if (outputProgress != null) {
                Instant until = last ? null : recorded.get(i + 1).injectedAt();
                Duration recovery = progress.recovery(event.injectedAt(), inFlightGrace, until);
                event = event.withRecovery(recovery, recovery == null && until != null);
            }
            if (failedCheckpoints != null) {
                Long from = before.get(i);
                Long to = last ? failedNow : before.get(i + 1);
                event =
                        event.withCheckpointsFailed(
                                from == null || to == null ? null : Math.max(0, to - from));
            }
            result.add(event);
        }
        return result;
    }

    /**
     * Stops the plan, heals a fault that is still active and stops probing the output; fails if the
     * injector's thread does not stop within 3 minutes (a target may then still be broken).
     */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        try {
            Thread thread = runner;
            if (thread != null) {
                thread.interrupt();
                thread.join(closeTimeout.toMillis());
                if (thread.isAlive()) {
                    throw new IllegalStateException(
                            "The fault injector did not stop within "
                                    + Reports.seconds(closeTimeout)
                                    + ": it is still "
                                    + step
                                    + ", so that target may still be broken. So far:\n"
                                    + describeEvents()
                                    + "\n"
                                    + plan.replayHint());
                }
            }
        } finally {
            Thread probe = prober;
            if (probe != null) {
                probe.interrupt();
                probe.join(10_000);
            }
        }
    }

    private void run() {
        try {
            for (Fault fault : plan.faults()) {
                if (stopping) {
                    return;
                }
                step = "waiting to inject " + fault;
                Thread.sleep(fault.delay().toMillis());
                if (!runOne(fault)) {
                    return;
                }
            }
            LOG.info("Chaos run finished:\n{}", describeEvents());
        } catch (InterruptedException e) {
            LOG.info("Chaos run stopped");
        } finally {
            healActiveFault();
            step = "finished";
        }
    }

    /** Injects, waits and heals one fault; false if the run must stop. */
    private boolean runOne(Fault fault) throws InterruptedException {
        FaultAction action = actions.get(fault.kind());
        Long before = sample(failedCheckpoints, "failed");
        String note;
        try {
            LOG.info("Chaos: injecting {}", fault);
            step = "injecting " + fault;
            note = action.inject(fault);
        } catch (InterruptedException e) {
            // It may have partly taken effect (e.g. a task manager being terminated): heal it.
            LOG.info("Chaos: interrupted while injecting {}; healing it", fault);
            activate(fault, clock.instant(), before, null, "interrupted while injecting", true);
            throw e;
        } catch (Exception | AssertionError e) {
            LOG.error("Chaos: injecting {} failed", fault, e);
            String error = "inject failed: " + e;
            step = "healing (best effort) the failed injection of " + fault;
            try {
                action.heal(fault);
            } catch (Exception | AssertionError healError) {
                LOG.error("Chaos: healing the failed injection of {} failed too", fault, healError);
                error += "; healing it afterwards failed too: " + healError;
            }
            record(
                    fault,
                    FaultEvent.Outcome.INJECT_FAILED,
                    clock.instant(),
                    null,
                    before,
                    null,
                    "",
                    error);
            return false;
        }
        Instant injectedAt = clock.instant();
        activate(fault, injectedAt, before, sample(completedCheckpoints, "completed"), note, false);
        step = fault + " active";
        Thread.sleep(fault.downtime().toMillis());
        return healActiveFault();
    }

    private synchronized void activate(
            Fault fault,
            Instant injectedAt,
            @Nullable Long failedBefore,
            @Nullable Long completedAtInjection,
            @Nullable String note,
            boolean interrupted) {
        active = fault;
        activeSince = injectedAt;
        activeFailedBefore = failedBefore;
        activeCompletedAtInjection = completedAtInjection;
        activeNote = note == null ? "" : note;
        activeInterrupted = interrupted;
    }

    /** Heals the active fault, if any, and records it; false if healing failed. */
    private boolean healActiveFault() {
        Fault fault;
        Instant since;
        Long before;
        Long completedAtInjection;
        String note;
        boolean interrupted;
        synchronized (this) {
            fault = active;
            since = activeSince;
            before = activeFailedBefore;
            completedAtInjection = activeCompletedAtInjection;
            note = activeNote;
            interrupted = activeInterrupted;
            active = null;
        }
        if (fault == null) {
            return true;
        }
        step = "healing " + fault;
        boolean wasInterrupted = Thread.interrupted();
        Long completedAtHeal =
                completedAtInjection == null ? null : sample(completedCheckpoints, "completed");
        Long completedWhileDown =
                completedAtHeal == null
                        ? null
                        : Math.max(0, completedAtHeal - completedAtInjection);
        try {
            actions.get(fault.kind()).heal(fault);
            Instant healedAt = clock.instant();
            if (interrupted) {
                record(
                        fault,
                        FaultEvent.Outcome.INJECT_INTERRUPTED,
                        since,
                        healedAt,
                        before,
                        completedWhileDown,
                        note,
                        "the run was stopped while injecting; healed");
            } else {
                record(
                        fault,
                        FaultEvent.Outcome.HEALED,
                        since,
                        healedAt,
                        before,
                        completedWhileDown,
                        note,
                        null);
            }
            LOG.info("Chaos: healed {}", fault);
            return true;
        } catch (Exception | AssertionError e) {
            LOG.error("Chaos: healing {} failed", fault, e);
            record(
                    fault,
                    FaultEvent.Outcome.HEAL_FAILED,
                    since,
                    null,
                    before,
                    completedWhileDown,
                    note,
                    (interrupted ? "the run was stopped while injecting; " : "")
                            + "heal failed: "
                            + e);
            return false;
        } finally {
            if (wasInterrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void record(
            Fault fault,
            FaultEvent.Outcome outcome,
            Instant injectedAt,
            @Nullable Instant healedAt,
            @Nullable Long checkpointsFailedBefore,
            @Nullable Long checkpointsCompletedWhileDown,
            String note,
            @Nullable String error) {
        events.add(
                new FaultEvent(
                                fault,
                                outcome,
                                injectedAt,
                                Duration.between(startedAt, injectedAt),
                                healedAt,
                                note,
                                error)
                        .withCheckpointsCompletedWhileDown(checkpointsCompletedWhileDown));
        failedBefore.add(checkpointsFailedBefore);
    }

    @Nullable
    private static Long sample(@Nullable LongSupplier checkpoints, String what) {
        if (checkpoints == null) {
            return null;
        }
        try {
            return checkpoints.getAsLong();
        } catch (RuntimeException e) {
            LOG.warn("Could not read the {} checkpoints: {}", what, e.toString());
            return null;
        }
    }

    private void probe() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                // The count first: its sample time is then never before the count was seen.
                long count = outputProgress.getAsLong();
                progress.add(clock.instant(), count);
            } catch (RuntimeException e) {
                LOG.debug("Output probe failed; trying again", e);
            } finally {
                try {
                    Thread.sleep(probeInterval.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private String describeEvents() {
        List<FaultEvent> all = events();
        return all.isEmpty()
                ? "(no fault injected)"
                : all.stream().map(FaultEvent::toString).collect(Collectors.joining("\n"));
    }

    /** Builder of {@link FaultInjector}. */
    @PublicEvolving
    public static final class Builder {
        private final FaultPlan plan;
        private final Map<FaultKind, FaultAction> actions = new EnumMap<>(FaultKind.class);
        private LongSupplier outputProgress;
        private LongSupplier failedCheckpoints;
        private LongSupplier completedCheckpoints;
        private Duration probeInterval = Duration.ofMillis(50);
        private Duration inFlightGrace = Duration.ofMillis(500);
        private Duration operatorFailureTimeout = Duration.ofSeconds(60);
        private String operatorName;
        private Clock clock = Clock.systemUTC();
        private Duration closeTimeout = Duration.ofMinutes(3);

        private Builder(FaultPlan plan) {
            this.plan = Objects.requireNonNull(plan, "plan");
        }

        /** {@link FaultKind#TASK_MANAGER_KILL} on this MiniCluster's task managers. */
        public Builder taskManagers(FlinkTestCluster cluster) {
            Objects.requireNonNull(cluster, "cluster");
            return action(FaultKind.TASK_MANAGER_KILL, FaultActions.taskManagers(cluster));
        }

        /**
         * {@link FaultKind#OPERATOR_FAILURE_AFTER_CHECKPOINT} through the job's {@link
         * FailAfterCheckpoint#operator(String)} with this name.
         */
        public Builder operatorFailures(String failAfterCheckpointName) {
            this.operatorName =
                    Objects.requireNonNull(failAfterCheckpointName, "failAfterCheckpointName");
            return this;
        }

        /**
         * How long an armed operator failure may take to fire (a checkpoint and a record must pass;
         * default 60 s).
         */
        public Builder operatorFailureTimeout(Duration timeout) {
            this.operatorFailureTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** {@link FaultKind#KAFKA_BROKER_RESTART}: hard restarts of this broker. */
        public Builder kafkaBroker(EmbeddedKafkaBroker broker) {
            Objects.requireNonNull(broker, "broker");
            return action(FaultKind.KAFKA_BROKER_RESTART, FaultActions.kafkaBroker(broker));
        }

        /** {@link FaultKind#POSTGRES_RESTART}: crash-restarts of this server. */
        public Builder postgres(EmbeddedPostgresServer server) {
            Objects.requireNonNull(server, "server");
            return action(FaultKind.POSTGRES_RESTART, FaultActions.postgres(server));
        }

        /** {@link FaultKind#S3_OUTAGE}: this S3 store is down for each fault's downtime. */
        public Builder s3(EmbeddedS3 s3) {
            Objects.requireNonNull(s3, "s3");
            return action(FaultKind.S3_OUTAGE, FaultActions.s3(s3));
        }

        /**
         * {@link FaultKind#SINK_CONNECTIONS_KILLED}: terminates the connections whose {@code
         * application_name} matches this SQL {@code LIKE} pattern (set it in the sink's JDBC URL,
         * e.g. {@code ?ApplicationName=orders-sink}).
         */
        public Builder sinkConnections(PostgresService postgres, String applicationNameLike) {
            Objects.requireNonNull(postgres, "postgres");
            Objects.requireNonNull(applicationNameLike, "applicationNameLike");
            return action(
                    FaultKind.SINK_CONNECTIONS_KILLED,
                    FaultActions.postgresConnections(postgres, applicationNameLike));
        }

        /** Injects {@code kind} with a custom action (replaces a built-in one). */
        public Builder action(FaultKind kind, FaultAction action) {
            actions.put(
                    Objects.requireNonNull(kind, "kind"), Objects.requireNonNull(action, "action"));
            return this;
        }

        /**
         * A monotonic count of the pipeline's visible output (e.g. committed records, {@link
         * ReadCommittedTail#count()}), sampled to measure each fault's recovery time.
         */
        public Builder outputProgress(LongSupplier probe) {
            this.outputProgress = Objects.requireNonNull(probe, "probe");
            return this;
        }

        /**
         * Counts of the job's failed and completed checkpoints (e.g. {@link
         * FlinkTestCluster#failedCheckpoints} and {@link FlinkTestCluster#completedCheckpoints}),
         * sampled around each fault: {@link FaultEvent#checkpointsFailed()} counts the checkpoints
         * that failed from just before a fault's injection to just before the next one's, {@link
         * FaultEvent#checkpointsCompletedWhileDown()} those that completed from the end of its
         * injection to the start of its healing.
         */
        public Builder checkpoints(LongSupplier failed, LongSupplier completed) {
            this.failedCheckpoints = Objects.requireNonNull(failed, "failed");
            this.completedCheckpoints = Objects.requireNonNull(completed, "completed");
            return this;
        }

        /**
         * {@link #checkpoints(LongSupplier, LongSupplier)} of a job on a {@link FlinkTestCluster}.
         */
        public Builder checkpoints(FlinkTestCluster cluster, JobID job) {
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(job, "job");
            return checkpoints(
                    () -> unchecked(() -> cluster.failedCheckpoints(job), job),
                    () -> unchecked(() -> cluster.completedCheckpoints(job), job));
        }

        private static long unchecked(java.util.concurrent.Callable<Long> count, JobID job) {
            try {
                return count.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("Cannot read the checkpoints of " + job, e);
            }
        }

        /** How often the output probe is sampled (default 50 ms). */
        public Builder probeInterval(Duration interval) {
            this.probeInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /**
         * Output observed this soon after a fault was already on its way (e.g. a commit racing the
         * fault) and does not count as recovery (default 500 ms).
         */
        public Builder inFlightGrace(Duration grace) {
            this.inFlightGrace = Objects.requireNonNull(grace, "grace");
            return this;
        }

        /** How long close() waits for the injector to stop (tests). */
        Builder closeTimeout(Duration timeout) {
            this.closeTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The clock for timestamps (tests). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public FaultInjector build() {
            if (operatorName != null) {
                actions.put(
                        FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT,
                        FaultActions.operatorFailure(operatorName, operatorFailureTimeout));
            }
            List<String> problems = new ArrayList<>();
            for (FaultKind kind : plan.kinds()) {
                if (!actions.containsKey(kind)) {
                    problems.add(kind + " is in the plan but has no target: " + hint(kind));
                }
            }
            if (probeInterval.isNegative() || probeInterval.isZero()) {
                problems.add("probeInterval must be positive, was " + probeInterval);
            }
            if (operatorFailureTimeout.isNegative() || operatorFailureTimeout.isZero()) {
                problems.add(
                        "operatorFailureTimeout must be positive, was " + operatorFailureTimeout);
            }
            if (inFlightGrace.isNegative()) {
                problems.add("inFlightGrace must not be negative, was " + inFlightGrace);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "FaultInjector is not complete:\n  - " + String.join("\n  - ", problems));
            }
            return new FaultInjector(this);
        }

        private static String hint(FaultKind kind) {
            switch (kind) {
                case TASK_MANAGER_KILL:
                    return "add taskManagers(flinkTestCluster)";
                case OPERATOR_FAILURE_AFTER_CHECKPOINT:
                    return "add operatorFailures(name) and FailAfterCheckpoint.operator(name) to"
                            + " the job";
                case KAFKA_BROKER_RESTART:
                    return "add kafkaBroker(embeddedKafkaBroker) (a private broker, not the shared"
                            + " one)";
                case POSTGRES_RESTART:
                    return "add postgres(embeddedPostgresServer) (a private server)";
                case S3_OUTAGE:
                    return "add s3(embeddedS3) (a private store)";
                case SINK_CONNECTIONS_KILLED:
                    return "add sinkConnections(postgres, applicationNameLike)";
                default:
                    return "add action(" + kind + ", ...)";
            }
        }
    }

    /** Samples of the output count, for recovery times. */
    static final class ProgressLog {
        private final List<Instant> times = new ArrayList<>();
        private final List<Long> counts = new ArrayList<>();

        synchronized void add(Instant time, long count) {
            times.add(time);
            counts.add(count);
        }

        /**
         * From {@code fault} to the first sample after {@code fault + grace} (and before {@code
         * until}, the next fault, if given) whose count exceeds the last count seen by then; null
         * if there is none.
         */
        @Nullable
        synchronized Duration recovery(Instant fault, Duration grace, @Nullable Instant until) {
            Instant settled = fault.plus(grace);
            long baseline = -1;
            for (int i = 0; i < times.size(); i++) {
                if (until != null && !times.get(i).isBefore(until)) {
                    return null;
                }
                if (!times.get(i).isAfter(settled)) {
                    baseline = counts.get(i);
                } else if (baseline >= 0 && counts.get(i) > baseline) {
                    return Duration.between(fault, times.get(i));
                } else if (baseline < 0) {
                    baseline = counts.get(i);
                }
            }
            return null;
        }
    }
}
