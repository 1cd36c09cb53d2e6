package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/** The outcome of a {@link TableEquality} check, with a diff of the first mismatches. */
@PublicEvolving
public final class TableEqualityResult implements InvariantResult {

    private final long sourceRows;
    private final long targetRows;
    private final long missing;
    private final long extra;
    private final long different;
    private final long duplicateKeys;
    private final List<String> diff;

    TableEqualityResult(
            long sourceRows,
            long targetRows,
            long missing,
            long extra,
            long different,
            long duplicateKeys,
            List<String> diff) {
        this.sourceRows = sourceRows;
        this.targetRows = targetRows;
        this.missing = missing;
        this.extra = extra;
        this.different = different;
        this.duplicateKeys = duplicateKeys;
        this.diff = List.copyOf(diff);
    }

    @Override
    public String name() {
        return "target table equals source table";
    }

    public long sourceRows() {
        return sourceRows;
    }

    public long targetRows() {
        return targetRows;
    }

    /** Source rows whose key is not in the target. */
    public long missing() {
        return missing;
    }

    /** Target rows whose key is not in the source. */
    public long extra() {
        return extra;
    }

    /** Rows present on both sides with different values. */
    public long different() {
        return different;
    }

    /** Keys that occur more than once on either side. */
    public long duplicateKeys() {
        return duplicateKeys;
    }

    /**
     * The first mismatches, one per line: {@code - missing}, {@code + extra}, {@code ~ differs}.
     */
    public List<String> diff() {
        return diff;
    }

    @Override
    public long losses() {
        return missing;
    }

    @Override
    public long duplicates() {
        return duplicateKeys;
    }

    @Override
    public boolean isClean() {
        return missing == 0 && extra == 0 && different == 0 && duplicateKeys == 0;
    }

    @Override
    public String summary() {
        StringBuilder out = new StringBuilder();
        out.append(name())
                .append(": ")
                .append(isClean() ? "holds" : "VIOLATED")
                .append(" - source ")
                .append(sourceRows)
                .append(" rows, target ")
                .append(targetRows)
                .append("; missing ")
                .append(missing)
                .append(", extra ")
                .append(extra)
                .append(", different ")
                .append(different)
                .append(", duplicate keys ")
                .append(duplicateKeys);
        diff.forEach(line -> out.append("\n  ").append(line));
        return out.toString();
    }

    @Override
    public String toString() {
        return summary();
    }
}
