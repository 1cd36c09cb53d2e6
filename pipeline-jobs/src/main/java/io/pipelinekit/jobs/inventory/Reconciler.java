package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.sink.postgres.PostgresConnections;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares the inventory source ({@code stock}) with the target ({@code stock_levels}, {@code
 * product_totals}): row counts and checksums per key range first, then, only for ranges that
 * differ, the rows themselves; and the product totals.
 *
 * <p>Checksums are sums of MD5-based row hashes computed in each database, so the comparison moves
 * a few numbers per key range over the network, not the tables; they do not depend on PostgreSQL
 * versions (unlike {@code hashtext}).
 *
 * <pre>{@code
 * ReconciliationReport report = Reconciler.fromConfig(config).compare();
 * System.out.print(report.toTable());
 * }</pre>
 */
@PublicEvolving
public final class Reconciler {

    /** Rows listed in a report at most. */
    private static final int SAMPLE = 20;

    private final Endpoint source;
    private final String sourceTable;
    private final Endpoint target;
    private final int buckets;

    /** A database to connect to. */
    public static final class Endpoint {
        final String url;
        final String username;
        final String password;

        public Endpoint(String url, String username, String password) {
            this.url = Objects.requireNonNull(url, "url");
            this.username = username;
            this.password = password;
        }

        /** A connection with timeouts: a check never hangs on a stuck database. */
        public Connection connect() throws SQLException {
            java.util.Properties properties = new java.util.Properties();
            if (username != null) {
                properties.setProperty("user", username);
            }
            if (password != null) {
                properties.setProperty("password", password);
            }
            properties.setProperty("connectTimeout", "10");
            properties.setProperty("socketTimeout", "300");
            properties.setProperty("options", "-c statement_timeout=120000");
            properties.setProperty("ApplicationName", "pipelinekit-reconciler");
            return PostgresConnections.connect(url, properties);
        }
    }

    public Reconciler(Endpoint source, String sourceTable, Endpoint target, int buckets) {
        if (buckets < 1) {
            throw new IllegalArgumentException("buckets must be >= 1, was " + buckets);
        }
        this.source = source;
        this.sourceTable = sourceTable;
        this.target = target;
        this.buckets = buckets;
    }

    /** The reconciler of the inventory-sync configuration. */
    public static Reconciler fromConfig(org.apache.flink.configuration.ReadableConfig config) {
        return new Reconciler(
                new Endpoint(
                        require(config, InventorySyncOptions.SOURCE_URL),
                        config.get(InventorySyncOptions.SOURCE_USERNAME),
                        config.get(InventorySyncOptions.SOURCE_PASSWORD)),
                config.get(InventorySyncOptions.SOURCE_TABLE),
                new Endpoint(
                        require(config, InventorySyncOptions.TARGET_URL),
                        config.get(InventorySyncOptions.TARGET_USERNAME),
                        config.get(InventorySyncOptions.TARGET_PASSWORD)),
                config.get(InventorySyncOptions.RECONCILE_BUCKETS));
    }

    private static String require(
            org.apache.flink.configuration.ReadableConfig config,
            org.apache.flink.configuration.ConfigOption<String> option) {
        return config.getOptional(option)
                .orElseThrow(
                        () -> new IllegalArgumentException("Reconciliation needs " + option.key()));
    }

    /**
     * Compares until source and target agree or {@code timeout} has passed, and returns the last
     * comparison: for a check after a catch-up (a restore, a backfill), while the target trails the
     * source by the job's latency.
     */
    public ReconciliationReport awaitInSync(java.time.Duration timeout)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ReconciliationReport report = compare();
        while (!report.inSync() && System.nanoTime() < deadline) {
            Thread.sleep(500);
            report = compare();
        }
        return report;
    }

    public ReconciliationReport compare() throws SQLException {
        Map<Integer, long[]> sourceCounts = new TreeMap<>();
        Map<Integer, String> sourceSums = new HashMap<>();
        Map<Integer, long[]> targetCounts = new TreeMap<>();
        Map<Integer, String> targetSums = new HashMap<>();
        try (Connection s = source.connect();
                Connection t = target.connect()) {
            summarize(s, sourceTable, sourceCounts, sourceSums);
            summarize(t, "stock_levels", targetCounts, targetSums);
            List<ReconciliationReport.Bucket> report = new ArrayList<>();
            List<Integer> differing = new ArrayList<>();
            for (int b = 0; b < buckets; b++) {
                ReconciliationReport.Bucket bucket =
                        new ReconciliationReport.Bucket(
                                b,
                                sourceCounts.getOrDefault(b, new long[1])[0],
                                targetCounts.getOrDefault(b, new long[1])[0],
                                sourceSums.getOrDefault(b, "0"),
                                targetSums.getOrDefault(b, "0"));
                report.add(bucket);
                if (!bucket.matches()) {
                    differing.add(b);
                }
            }
            List<String> sample = new ArrayList<>();
            long drifted = 0;
            if (!differing.isEmpty()) {
                Map<String, Long> sourceRows = rows(s, sourceTable, differing);
                Map<String, Long> targetRows = rows(t, "stock_levels", differing);
                TreeSet<String> keys = new TreeSet<>(sourceRows.keySet());
                keys.addAll(targetRows.keySet());
                for (String key : keys) {
                    Long expected = sourceRows.get(key);
                    Long actual = targetRows.get(key);
                    if (!Objects.equals(expected, actual)) {
                        drifted++;
                        if (sample.size() < SAMPLE) {
                            sample.add(
                                    key
                                            + ": source "
                                            + (expected == null ? "missing" : expected)
                                            + ", target "
                                            + (actual == null ? "missing" : actual));
                        }
                    }
                }
            }
            long driftedTotals = driftedTotals(s, t);
            return new ReconciliationReport(report, sample, drifted, driftedTotals);
        }
    }

    private void summarize(
            Connection db, String table, Map<Integer, long[]> counts, Map<Integer, String> sums)
            throws SQLException {
        String sql =
                "SELECT "
                        + bucketExpression()
                        + " AS bucket, count(*), coalesce(sum(('x' || substr(md5(product_id ||"
                        + " '/' || warehouse_id || '=' || quantity), 1, 15))::bit(60)::bigint), 0)"
                        + " FROM "
                        + table
                        + " GROUP BY 1";
        try (PreparedStatement query = db.prepareStatement(sql);
                ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                counts.put(rs.getInt(1), new long[] {rs.getLong(2)});
                sums.put(rs.getInt(1), rs.getBigDecimal(3).toPlainString());
            }
        }
    }

    private Map<String, Long> rows(Connection db, String table, List<Integer> bucketList)
            throws SQLException {
        Map<String, Long> rows = new HashMap<>();
        String sql =
                "SELECT product_id, warehouse_id, quantity FROM "
                        + table
                        + " WHERE "
                        + bucketExpression()
                        + " = ANY (?)";
        try (PreparedStatement query = db.prepareStatement(sql)) {
            query.setArray(1, db.createArrayOf("int4", bucketList.toArray()));
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    rows.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
                }
            }
        }
        return rows;
    }

    private long driftedTotals(Connection s, Connection t) throws SQLException {
        Map<String, Long> expected = new HashMap<>();
        try (PreparedStatement query =
                        s.prepareStatement(
                                "SELECT product_id, sum(quantity) FROM "
                                        + sourceTable
                                        + " GROUP BY product_id");
                ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                expected.put(rs.getString(1), rs.getLong(2));
            }
        }
        Map<String, Long> actual = new HashMap<>();
        try (PreparedStatement query =
                        t.prepareStatement(
                                "SELECT product_id, total FROM product_totals WHERE warehouses >"
                                        + " 0");
                ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                actual.put(rs.getString(1), rs.getLong(2));
            }
        }
        TreeSet<String> products = new TreeSet<>(expected.keySet());
        products.addAll(actual.keySet());
        return products.stream()
                .filter(p -> !Objects.equals(expected.get(p), actual.get(p)))
                .count();
    }

    private String bucketExpression() {
        return "(('x' || substr(md5(product_id || '/' || warehouse_id), 1, 8))::bit(32)::bigint % "
                + buckets
                + ")::int";
    }
}
