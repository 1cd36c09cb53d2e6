package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.time.Duration;
import java.util.Objects;

/**
 * One planned fault of a {@link FaultPlan}: what to inject, how long after the previous fault was
 * healed, for how long, and a random {@code target} that actions use to pick among equal victims
 * (e.g. which task manager).
 */
@PublicEvolving
public final class Fault {

    private final int number;
    private final FaultKind kind;
    private final Duration delay;
    private final Duration downtime;
    private final int target;

    Fault(int number, FaultKind kind, Duration delay, Duration downtime, int target) {
        this.number = number;
        this.kind = Objects.requireNonNull(kind, "kind");
        this.delay = Objects.requireNonNull(delay, "delay");
        this.downtime = Objects.requireNonNull(downtime, "downtime");
        this.target = target;
    }

    /** Position in the plan, from 1. */
    public int number() {
        return number;
    }

    public FaultKind kind() {
        return kind;
    }

    /** Wait before injecting, counted from when the previous fault was healed (or the start). */
    public Duration delay() {
        return delay;
    }

    /** How long the fault lasts before it is healed; zero for instantaneous kinds. */
    public Duration downtime() {
        return downtime;
    }

    /** A non-negative random number for choosing a victim, e.g. {@code target % taskManagers}. */
    public int target() {
        return target;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Fault)) {
            return false;
        }
        Fault other = (Fault) o;
        return number == other.number
                && target == other.target
                && kind == other.kind
                && delay.equals(other.delay)
                && downtime.equals(other.downtime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(number, kind, delay, downtime, target);
    }

    @Override
    public String toString() {
        return "#"
                + number
                + " "
                + kind
                + " after "
                + Reports.seconds(delay)
                + (kind.hasDowntime() ? " for " + Reports.seconds(downtime) : "")
                + " (target "
                + target
                + ")";
    }
}
