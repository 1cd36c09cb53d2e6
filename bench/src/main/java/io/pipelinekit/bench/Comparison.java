package io.pipelinekit.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A baseline and a candidate measured alternately (A B A B ...) in one run, with the target the
 * candidate's median should reach as a ratio of the baseline's.
 */
final class Comparison {

    /** Which throughput the ratio compares. */
    enum Basis {
        /** Records per second of wall-clock time. */
        WALL,
        /** Records per CPU-second of the worker process: throughput per core. */
        PER_CORE
    }

    final String title;
    final String baseline;
    final String candidate;
    final Basis basis;

    /** Minimum ratio candidate/baseline; NaN when the comparison has no target. */
    final double target;

    final List<Sample> baselineRuns = new ArrayList<>();
    final List<Sample> candidateRuns = new ArrayList<>();

    Comparison(String title, String baseline, String candidate, Basis basis, double target) {
        this.title = title;
        this.baseline = baseline;
        this.candidate = candidate;
        this.basis = basis;
        this.target = target;
    }

    double value(Sample sample) {
        return basis == Basis.WALL ? sample.recordsPerSecond() : sample.recordsPerCpuSecond();
    }

    double baselineMedian() {
        return Stats.median(baselineRuns, this::value);
    }

    double candidateMedian() {
        return Stats.median(candidateRuns, this::value);
    }

    double ratio() {
        return candidateMedian() / baselineMedian();
    }

    boolean hasTarget() {
        return !Double.isNaN(target);
    }

    boolean met() {
        return hasTarget() && ratio() >= target;
    }

    String verdict() {
        if (!hasTarget()) {
            return "(no target)";
        }
        return (met() ? "met" : "**missed**") + " (>= " + Stats.number(target) + "x)";
    }
}
