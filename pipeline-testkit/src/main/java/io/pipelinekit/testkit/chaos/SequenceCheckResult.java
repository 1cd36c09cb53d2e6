package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/** The outcome of a {@link SequenceChecker}: counts of each violation with examples. */
@PublicEvolving
public final class SequenceCheckResult implements InvariantResult {

    private final SequenceChecker.Mode mode;
    private final String stage;
    private final int keys;
    private final long records;
    private final long expected;
    private final long lost;
    private final long duplicates;
    private final long outOfOrder;
    private final long unexpected;
    private final List<String> lostExamples;
    private final List<String> duplicateExamples;
    private final List<String> outOfOrderExamples;
    private final List<String> unexpectedExamples;

    SequenceCheckResult(
            SequenceChecker.Mode mode,
            String stage,
            int keys,
            long records,
            long expected,
            long lost,
            long duplicates,
            long outOfOrder,
            long unexpected,
            List<String> lostExamples,
            List<String> duplicateExamples,
            List<String> outOfOrderExamples,
            List<String> unexpectedExamples) {
        this.mode = mode;
        this.stage = stage;
        this.keys = keys;
        this.records = records;
        this.expected = expected;
        this.lost = lost;
        this.duplicates = duplicates;
        this.outOfOrder = outOfOrder;
        this.unexpected = unexpected;
        this.lostExamples = List.copyOf(lostExamples);
        this.duplicateExamples = List.copyOf(duplicateExamples);
        this.outOfOrderExamples = List.copyOf(outOfOrderExamples);
        this.unexpectedExamples = List.copyOf(unexpectedExamples);
    }

    @Override
    public String name() {
        return "per-key sequences ("
                + (mode == SequenceChecker.Mode.EXACTLY_ONCE ? "exactly-once" : "at-least-once")
                + ", "
                + stage
                + ")";
    }

    public SequenceChecker.Mode mode() {
        return mode;
    }

    /** Keys seen or expected. */
    public int keys() {
        return keys;
    }

    /** Records checked, duplicates included. */
    public long records() {
        return records;
    }

    /** Records expected (each number once). */
    public long expected() {
        return expected;
    }

    @Override
    public long losses() {
        return lost;
    }

    @Override
    public long duplicates() {
        return duplicates;
    }

    /** Numbers that arrived after a higher number of their key (first arrivals only). */
    public long outOfOrder() {
        return outOfOrder;
    }

    /** Numbers beyond the expected ones, or of keys that were not expected. */
    public long unexpected() {
        return unexpected;
    }

    @Override
    public boolean isClean() {
        if (lost > 0 || unexpected > 0) {
            return false;
        }
        return mode == SequenceChecker.Mode.AT_LEAST_ONCE || (duplicates == 0 && outOfOrder == 0);
    }

    @Override
    public String summary() {
        StringBuilder out = new StringBuilder();
        out.append(name())
                .append(": ")
                .append(isClean() ? "holds" : "VIOLATED")
                .append(" - ")
                .append(records)
                .append(" records, ")
                .append(keys)
                .append(" keys, ")
                .append(expected)
                .append(" expected; lost ")
                .append(lost)
                .append(", duplicated ")
                .append(duplicates)
                .append(", out of order ")
                .append(outOfOrder)
                .append(", unexpected ")
                .append(unexpected);
        if (mode == SequenceChecker.Mode.AT_LEAST_ONCE && (duplicates > 0 || outOfOrder > 0)) {
            out.append(" (repeats tolerated at-least-once)");
        }
        section(out, "lost", lostExamples);
        section(out, "duplicated", duplicateExamples);
        section(out, "out of order", outOfOrderExamples);
        section(out, "unexpected", unexpectedExamples);
        return out.toString();
    }

    private static void section(StringBuilder out, String title, List<String> examples) {
        if (!examples.isEmpty()) {
            out.append("\n  ").append(title).append(" (first ").append(examples.size());
            out.append("):");
            examples.forEach(e -> out.append("\n    ").append(e));
        }
    }

    @Override
    public String toString() {
        return summary();
    }
}
