package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import javax.annotation.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What happened to one planned {@link Fault} during a run: whether it was injected and healed
 * ({@link #outcome()}), when, how long the output took to recover, and the error if injecting or
 * healing failed.
 */
@PublicEvolving
public final class FaultEvent {

    /** How injecting and healing a fault went. */
    @PublicEvolving
    public enum Outcome {
        /** Injected and healed (instant faults: injected). */
        HEALED,
        /** Injecting failed: the fault did not (or not knowingly) take effect; the run stopped. */
        INJECT_FAILED,
        /**
         * The run was stopped while the fault was being injected: it may have partly taken effect
         * and was healed.
         */
        INJECT_INTERRUPTED,
        /** Injected, but healing failed: the target may still be down; the run stopped. */
        HEAL_FAILED
    }

    private final Fault fault;
    private final Outcome outcome;
    private final Instant injectedAt;
    private final Duration sinceStart;
    @Nullable private final Instant healedAt;
    @Nullable private final Duration recovery;
    private final boolean cutOffByNextFault;
    @Nullable private final Long checkpointsFailed;
    @Nullable private final Long checkpointsCompletedWhileDown;
    private final String note;
    @Nullable private final String error;

    FaultEvent(
            Fault fault,
            Outcome outcome,
            Instant injectedAt,
            Duration sinceStart,
            @Nullable Instant healedAt,
            String note,
            @Nullable String error) {
        this(
                fault,
                outcome,
                injectedAt,
                sinceStart,
                healedAt,
                null,
                false,
                null,
                null,
                note,
                error);
    }

    private FaultEvent(
            Fault fault,
            Outcome outcome,
            Instant injectedAt,
            Duration sinceStart,
            @Nullable Instant healedAt,
            @Nullable Duration recovery,
            boolean cutOffByNextFault,
            @Nullable Long checkpointsFailed,
            @Nullable Long checkpointsCompletedWhileDown,
            String note,
            @Nullable String error) {
        this.fault = Objects.requireNonNull(fault, "fault");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        this.injectedAt = Objects.requireNonNull(injectedAt, "injectedAt");
        this.sinceStart = Objects.requireNonNull(sinceStart, "sinceStart");
        this.healedAt = healedAt;
        this.recovery = recovery;
        this.cutOffByNextFault = cutOffByNextFault;
        this.checkpointsFailed = checkpointsFailed;
        this.checkpointsCompletedWhileDown = checkpointsCompletedWhileDown;
        this.note = Objects.requireNonNull(note, "note");
        this.error = error;
        if ((outcome == Outcome.HEALED) != (error == null)) {
            throw new IllegalArgumentException(
                    "An event has an error exactly when it did not heal: "
                            + outcome
                            + ", "
                            + error);
        }
    }

    public Fault fault() {
        return fault;
    }

    public FaultKind kind() {
        return fault.kind();
    }

    /** How injecting and healing went. */
    public Outcome outcome() {
        return outcome;
    }

    /**
     * When the fault took effect, i.e. when injecting it returned (for an operator failure: when
     * the operator threw); when it failed for a failed injection.
     */
    public Instant injectedAt() {
        return injectedAt;
    }

    /** Time from the injector's start to the injection. */
    public Duration sinceStart() {
        return sinceStart;
    }

    /** When it was healed; empty if it never was (the run was stopped or healing failed). */
    public Optional<Instant> healedAt() {
        return Optional.ofNullable(healedAt);
    }

    /** Time from injection to healing (about zero for instant faults). */
    public Optional<Duration> downtime() {
        return healedAt().map(healed -> Duration.between(injectedAt, healed));
    }

    /**
     * Time from the end of the injection to the first new output, including the downtime (see
     * {@link FaultInjector.Builder#outputProgress outputProgress}); empty without a probe, when no
     * new output was observed, or when none was observed before the next fault ({@link
     * #notRecoveredBeforeNextFault()}).
     */
    public Optional<Duration> recovery() {
        return Optional.ofNullable(recovery);
    }

    /**
     * Whether the output made no progress between this fault and the next one: the recovery time is
     * unknown (it would include the next fault).
     */
    public boolean notRecoveredBeforeNextFault() {
        return cutOffByNextFault;
    }

    /**
     * Checkpoints that failed from just before this fault's injection to just before the next one's
     * (for the last fault: to when {@link FaultInjector#events()} was called); empty unless the
     * injector was given {@link FaultInjector.Builder#checkpoints checkpoints}. Counted by time,
     * not by cause.
     */
    public OptionalLong checkpointsFailed() {
        return checkpointsFailed == null
                ? OptionalLong.empty()
                : OptionalLong.of(checkpointsFailed);
    }

    /**
     * Checkpoints that completed from the end of the injection to the start of healing, e.g. none
     * while the checkpoint storage was down; empty unless the injector was given {@link
     * FaultInjector.Builder#checkpoints checkpoints}.
     */
    public OptionalLong checkpointsCompletedWhileDown() {
        return checkpointsCompletedWhileDown == null
                ? OptionalLong.empty()
                : OptionalLong.of(checkpointsCompletedWhileDown);
    }

    /** What the action reported, e.g. which task manager it terminated. */
    public String note() {
        return note;
    }

    /** Why injecting or healing failed; empty if it worked. */
    public Optional<String> error() {
        return Optional.ofNullable(error);
    }

    /** Whether the fault took effect (false when injecting it failed or was interrupted). */
    public boolean injected() {
        return outcome == Outcome.HEALED || outcome == Outcome.HEAL_FAILED;
    }

    /** Whether the fault was injected and healed, without error. */
    public boolean healed() {
        return outcome == Outcome.HEALED && healedAt != null;
    }

    /** The recovery cell of a report: a time, "not recovered before next fault" or "-". */
    String recoveryText() {
        if (recovery != null) {
            return Reports.seconds(recovery);
        }
        return cutOffByNextFault ? "not recovered before next fault" : "-";
    }

    FaultEvent withRecovery(@Nullable Duration value, boolean cutOff) {
        return new FaultEvent(
                fault,
                outcome,
                injectedAt,
                sinceStart,
                healedAt,
                value,
                cutOff,
                checkpointsFailed,
                checkpointsCompletedWhileDown,
                note,
                error);
    }

    FaultEvent withCheckpointsFailed(@Nullable Long value) {
        return new FaultEvent(
                fault,
                outcome,
                injectedAt,
                sinceStart,
                healedAt,
                recovery,
                cutOffByNextFault,
                value,
                checkpointsCompletedWhileDown,
                note,
                error);
    }

    FaultEvent withCheckpointsCompletedWhileDown(@Nullable Long value) {
        return new FaultEvent(
                fault,
                outcome,
                injectedAt,
                sinceStart,
                healedAt,
                recovery,
                cutOffByNextFault,
                checkpointsFailed,
                value,
                note,
                error);
    }

    @Override
    public String toString() {
        return fault
                + " injected at +"
                + Reports.seconds(sinceStart)
                + downtime().map(d -> ", healed after " + Reports.seconds(d)).orElse(", not healed")
                + recovery().map(r -> ", output recovered after " + Reports.seconds(r)).orElse("")
                + (cutOffByNextFault ? ", output not recovered before the next fault" : "")
                + (checkpointsCompletedWhileDown == null
                        ? ""
                        : ", "
                                + checkpointsCompletedWhileDown
                                + " checkpoint(s) completed while down")
                + (checkpointsFailed == null
                        ? ""
                        : ", " + checkpointsFailed + " checkpoint(s) failed until the next fault")
                + (note.isEmpty() ? "" : " (" + note + ")")
                + (outcome == Outcome.HEALED ? "" : " " + outcome)
                + error().map(e -> " FAILED: " + e).orElse("");
    }
}
