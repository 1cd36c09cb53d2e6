package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/** The outcome of a {@link SetEquality} check, with the first missing, duplicated and extra. */
@PublicEvolving
public final class SetEqualityResult implements InvariantResult {

    private final boolean subset;
    private final long expected;
    private final long actual;
    private final long missing;
    private final long duplicates;
    private final long unexpected;
    private final List<String> missingExamples;
    private final List<String> duplicateExamples;
    private final List<String> unexpectedExamples;

    SetEqualityResult(
            boolean subset,
            long expected,
            long actual,
            long missing,
            long duplicates,
            long unexpected,
            List<String> missingExamples,
            List<String> duplicateExamples,
            List<String> unexpectedExamples) {
        this.subset = subset;
        this.expected = expected;
        this.actual = actual;
        this.missing = missing;
        this.duplicates = duplicates;
        this.unexpected = unexpected;
        this.missingExamples = List.copyOf(missingExamples);
        this.duplicateExamples = List.copyOf(duplicateExamples);
        this.unexpectedExamples = List.copyOf(unexpectedExamples);
    }

    @Override
    public String name() {
        return subset ? "output within expected set" : "output equals expected set";
    }

    /** Expected records (with multiplicity). */
    public long expected() {
        return expected;
    }

    /** Records in the output. */
    public long actual() {
        return actual;
    }

    /** Expected records not in the output (not a violation for a {@link SetEquality#subset}). */
    public long missing() {
        return missing;
    }

    @Override
    public long losses() {
        return subset ? 0 : missing;
    }

    @Override
    public long duplicates() {
        return duplicates;
    }

    /** Output records that were not expected at all. */
    public long unexpected() {
        return unexpected;
    }

    @Override
    public boolean isClean() {
        return duplicates == 0 && unexpected == 0 && (subset || missing == 0);
    }

    @Override
    public String summary() {
        StringBuilder out = new StringBuilder();
        out.append(name())
                .append(": ")
                .append(isClean() ? "holds" : "VIOLATED")
                .append(" - expected ")
                .append(expected)
                .append(", output ")
                .append(actual)
                .append("; missing ")
                .append(missing)
                .append(subset ? " (may still arrive)" : "")
                .append(", duplicated ")
                .append(duplicates)
                .append(", unexpected ")
                .append(unexpected);
        if (!subset) {
            section(out, "missing", missingExamples);
        }
        section(out, "duplicated", duplicateExamples);
        section(out, "unexpected", unexpectedExamples);
        return out.toString();
    }

    private static void section(StringBuilder out, String title, List<String> examples) {
        if (!examples.isEmpty()) {
            out.append("\n  ").append(title).append(" (first ").append(examples.size());
            out.append("): ").append(String.join(", ", examples));
        }
    }

    @Override
    public String toString() {
        return summary();
    }
}
