package io.pipelinekit.jobs.inventory;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;
import java.util.Locale;

/**
 * The result of comparing the inventory source with the target: rows and checksums per key range,
 * the rows that differ, and the product totals that differ.
 */
@PublicEvolving
public final class ReconciliationReport {

    /** One key range (hash bucket) on both sides. */
    public static final class Bucket {
        public final int bucket;
        public final long sourceRows;
        public final long targetRows;
        public final String sourceChecksum;
        public final String targetChecksum;

        public Bucket(
                int bucket,
                long sourceRows,
                long targetRows,
                String sourceChecksum,
                String targetChecksum) {
            this.bucket = bucket;
            this.sourceRows = sourceRows;
            this.targetRows = targetRows;
            this.sourceChecksum = sourceChecksum;
            this.targetChecksum = targetChecksum;
        }

        public boolean matches() {
            return sourceRows == targetRows && sourceChecksum.equals(targetChecksum);
        }
    }

    private final List<Bucket> buckets;
    private final List<String> driftedRows;
    private final long driftedRowCount;
    private final long driftedTotals;

    public ReconciliationReport(
            List<Bucket> buckets,
            List<String> driftedRows,
            long driftedRowCount,
            long driftedTotals) {
        this.buckets = List.copyOf(buckets);
        this.driftedRows = List.copyOf(driftedRows);
        this.driftedRowCount = driftedRowCount;
        this.driftedTotals = driftedTotals;
    }

    public List<Bucket> buckets() {
        return buckets;
    }

    public long sourceRows() {
        return buckets.stream().mapToLong(b -> b.sourceRows).sum();
    }

    public long targetRows() {
        return buckets.stream().mapToLong(b -> b.targetRows).sum();
    }

    /** Rows missing, extra or different in the target. */
    public long driftedRows() {
        return driftedRowCount;
    }

    /** Products whose total in the target differs from the source's sum. */
    public long driftedTotals() {
        return driftedTotals;
    }

    /** A sample of the drifted rows, e.g. {@code p42/w1: source 7, target 5}. */
    public List<String> driftedRowSample() {
        return driftedRows;
    }

    public long mismatchedBuckets() {
        return buckets.stream().filter(b -> !b.matches()).count();
    }

    public boolean inSync() {
        return driftedRowCount == 0 && driftedTotals == 0 && mismatchedBuckets() == 0;
    }

    /** The report as a table for people. */
    public String toTable() {
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "%-8s %12s %12s %22s %22s  %s%n",
                        "bucket",
                        "source rows",
                        "target rows",
                        "source checksum",
                        "target checksum",
                        "status"));
        for (Bucket b : buckets) {
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%-8d %12d %12d %22s %22s  %s%n",
                            b.bucket,
                            b.sourceRows,
                            b.targetRows,
                            b.sourceChecksum,
                            b.targetChecksum,
                            b.matches() ? "ok" : "DRIFT"));
        }
        out.append(
                String.format(
                        Locale.ROOT, "%-8s %12d %12d%n", "total", sourceRows(), targetRows()));
        out.append(
                String.format(
                        Locale.ROOT,
                        "drift: %d rows, %d product totals, %d of %d key ranges%s%n",
                        driftedRowCount,
                        driftedTotals,
                        mismatchedBuckets(),
                        buckets.size(),
                        inSync() ? " - source and target agree" : ""));
        for (String row : driftedRows) {
            out.append("  ").append(row).append(System.lineSeparator());
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return toTable();
    }
}
