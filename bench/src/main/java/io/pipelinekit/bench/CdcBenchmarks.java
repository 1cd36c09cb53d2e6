package io.pipelinekit.bench;

import io.pipelinekit.jobs.inventory.InventorySyncJob;
import io.pipelinekit.jobs.inventory.InventoryWorkload;
import io.pipelinekit.jobs.inventory.ReplicationSlots;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measurement 5: inventory-sync's CDC snapshot against a raw JDBC scan of the same table, and the
 * change rate the whole job sustains against the rate offered to the source database.
 */
final class CdcBenchmarks {

    /** One streaming run: offered and applied changes per second in the same window. */
    record Streaming(
            double targetRate, double offeredPerSecond, double appliedPerSecond, long backlog) {

        double ratio() {
            return appliedPerSecond / offeredPerSecond;
        }
    }

    private final BenchServices services;
    private final Duration timeout;

    CdcBenchmarks(BenchServices services, Duration timeout) {
        this.services = services;
        this.timeout = timeout;
    }

    /** A source database with {@code products x warehouses} stock rows. */
    PostgresDatabase seed(int products, int warehouses) throws Exception {
        PostgresDatabase source = services.postgres.createDatabase("bench_inventory");
        long start = System.nanoTime();
        try (InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 11)) {
            workload.seed(products, warehouses);
        }
        source.execute("VACUUM ANALYZE stock");
        System.out.printf(
                Locale.ROOT,
                "    seeded %,d stock rows in %.1f s%n",
                (long) products * warehouses,
                (System.nanoTime() - start) / 1e9);
        return source;
    }

    /** The baseline: one SELECT of the whole table, every column read, 10%-90% window. */
    Sample jdbcScan(PostgresDatabase source, long rows) throws Exception {
        try (Connection connection = source.connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.setFetchSize(10_000);
                long low = rows / 10;
                long high = rows - rows / 10;
                long count = 0;
                long lowTime = 0;
                long highTime = 0;
                long checksum = 0;
                try (ResultSet rs = statement.executeQuery("SELECT * FROM stock")) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int c = 1; c <= columns; c++) {
                            Object value = rs.getObject(c);
                            checksum += value == null ? 0 : value.hashCode();
                        }
                        count++;
                        if (count == low) {
                            lowTime = System.nanoTime();
                        } else if (count == high) {
                            highTime = System.nanoTime();
                        }
                    }
                }
                if (count != rows) {
                    throw new IllegalStateException(
                            "Scanned " + count + " rows, expected " + rows + " (" + checksum + ")");
                }
                Sample sample =
                        new Sample("raw JDBC scan", high - low, (highTime - lowTime) / 1e9, 0, -1);
                System.out.printf(
                        Locale.ROOT,
                        "    %-34s %,10.0f rows/s%n",
                        sample.label(),
                        sample.recordsPerSecond());
                return sample;
            } finally {
                connection.rollback();
            }
        }
    }

    /** The candidate: inventory-sync capturing (snapshot into its exactly-once changelog). */
    Sample cdcSnapshot(PostgresDatabase source, long rows) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String slot = "bench_" + run;
        String changelog = services.createTopic("bench.inventory-changes", 2);
        Map<String, String> options = common(source, slot, changelog, run);
        options.put("inventory.mode", "CAPTURE");
        String job =
                services.submit(
                        InventorySyncJob.class.getName(),
                        services.configFile("capture-" + run, options));
        try {
            return measure("inventory-sync CDC snapshot", job, rows);
        } finally {
            services.cancel(job);
            dropSlot(source, slot);
            services.deleteTopics(changelog);
        }
    }

    /**
     * The whole job (capture and sync into a target database) under changes offered at {@code rate}
     * per second (0: as fast as one client can): applied vs offered in the same window.
     */
    Streaming streaming(PostgresDatabase source, double rate, Duration duration) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String slot = "bench_" + run;
        String changelog = services.createTopic("bench.inventory-changes", 2);
        PostgresDatabase target = services.postgres.createDatabase("bench_target");
        Map<String, String> options = common(source, slot, changelog, run);
        options.put("inventory.target.url", target.jdbcUrl());
        options.put("inventory.target.username", target.username());
        options.put("inventory.target.password", target.password());
        options.put(
                "inventory.stock-levels-topic",
                services.createCompactedTopic("bench.stock-levels", 2));
        String job =
                services.submit(
                        InventorySyncJob.class.getName(),
                        services.configFile("sync-" + run, options));
        FlinkRest rest = services.rest();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 13)) {
            FlinkRest.MetricRef applied = awaitMetric(job, "stock-levels", ".*changesApplied");
            // The snapshot first: streaming is measured on top of a synced target.
            long rows = source.queryForLong("SELECT count(*) FROM stock");
            long deadline = System.nanoTime() + timeout.toNanos();
            while (rest.sum(applied) < rows) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Snapshot not applied within " + timeout);
                }
                services.checkHealthy(job);
                Thread.sleep(500);
            }
            workload.load();
            Thread load =
                    new Thread(
                            () -> {
                                long start = System.nanoTime();
                                long sent = 0;
                                while (!stop.get()) {
                                    try {
                                        if (rate > 0) {
                                            long due =
                                                    (long)
                                                            ((System.nanoTime() - start)
                                                                    / 1e9
                                                                    * rate);
                                            if (sent >= due) {
                                                Thread.sleep(1);
                                                continue;
                                            }
                                        }
                                        workload.applyChanges(1);
                                        sent++;
                                    } catch (Exception e) {
                                        failure.compareAndSet(null, e);
                                        return;
                                    }
                                }
                            },
                            "inventory-workload");
            load.start();
            Thread.sleep(5_000);
            // Counter and clock are read at the same moment: the fresh read's value is as of
            // its start.
            long offeredStart = workload.changes();
            long t0 = System.nanoTime();
            double appliedStart = rest.freshSum(applied);
            Thread.sleep(duration.toMillis() - (System.nanoTime() - t0) / 1_000_000);
            long offeredEnd = workload.changes();
            long t1 = System.nanoTime();
            double appliedEnd = rest.freshSum(applied);
            stop.set(true);
            load.join();
            if (failure.get() != null) {
                throw failure.get();
            }
            services.checkHealthy(job);
            double seconds = (t1 - t0) / 1e9;
            Streaming result =
                    new Streaming(
                            rate,
                            (offeredEnd - offeredStart) / seconds,
                            (appliedEnd - appliedStart) / seconds,
                            (long) (workload.changes() + rows - rest.freshSum(applied)));
            System.out.printf(
                    Locale.ROOT,
                    "    streaming %-8s offered %,7.0f changes/s, applied %,7.0f/s (%.2fx)%n",
                    rate > 0 ? String.format(Locale.ROOT, "%,.0f/s", rate) : "max",
                    result.offeredPerSecond(),
                    result.appliedPerSecond(),
                    result.ratio());
            return result;
        } finally {
            stop.set(true);
            services.cancel(job);
            dropSlot(source, slot);
            services.deleteTopics(changelog);
            target.drop();
        }
    }

    /** The job's options; passwords go in a config file, as the job requires. */
    private Map<String, String> common(
            PostgresDatabase source, String slot, String changelog, String run) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("kafka.bootstrap-servers", services.kafka.bootstrapServers());
        options.put("kafka.source.group-id", "inventory-" + run);
        options.put("schema-registry.url", services.registry.url());
        options.put("checkpoint.storage", services.checkpointDir("inventory-" + run));
        options.put("checkpoint.interval", "1 s");
        options.put("kafka.sink.transaction-timeout", "1 h");
        options.put("dlq.topic", services.createTopic("bench.inventory-dlq", 1));
        options.put("inventory.cdc.slot-name", slot);
        options.put("inventory.changelog-topic", changelog);
        options.put("inventory.source.url", source.jdbcUrl());
        options.put("inventory.source.username", source.username());
        options.put("inventory.source.password", source.password());
        options.put("inventory.reconcile.interval", "0 s");
        return options;
    }

    private Sample measure(String name, String job, long rows) throws Exception {
        FlinkRest.MetricRef metric = awaitMetric(job, "cdc-source", "Source__.*\\.numRecordsOut");
        FlinkRest rest = services.rest();
        return ThroughputMeter.measure(
                name,
                () -> (long) rest.sum(metric),
                rows,
                services.taskManagerPid(),
                timeout,
                () -> services.checkHealthy(job));
    }

    private FlinkRest.MetricRef awaitMetric(String job, String vertex, String metric)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            FlinkRest.MetricRef ref = services.rest().findMetric(job, vertex, metric);
            if (ref != null) {
                return ref;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "No metric " + metric + " on vertex '" + vertex + "' of " + job);
            }
            services.checkHealthy(job);
            Thread.sleep(500);
        }
    }

    private static void dropSlot(PostgresDatabase source, String slot) throws Exception {
        // The slot stays active for a moment after the job is cancelled.
        for (int attempt = 0; attempt < 60; attempt++) {
            try (Connection connection = source.connect()) {
                if (ReplicationSlots.drop(connection, slot)) {
                    return;
                }
                if (ReplicationSlots.find(connection, slot).isEmpty()) {
                    return;
                }
            } catch (Exception stillActive) {
                // retried below
            }
            Thread.sleep(500);
        }
        System.out.println(
                "    (replication slot "
                        + slot
                        + " is still active; dropped with its"
                        + " database at the end)");
    }
}
