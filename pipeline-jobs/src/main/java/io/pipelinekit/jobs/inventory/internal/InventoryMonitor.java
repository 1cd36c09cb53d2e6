package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.jobs.inventory.InventorySyncOptions;
import io.pipelinekit.jobs.inventory.Reconciler;
import io.pipelinekit.jobs.inventory.ReconciliationReport;
import io.pipelinekit.jobs.inventory.ReplicationSlots;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * On every tick, checks the deployment in the background: reconciles source and target and measures
 * the replication slot's lag, as gauges ({@code reconciliationDriftRows}, {@code
 * reconciliationDriftTotals}, {@code reconciliationMismatchedRanges}, {@code
 * replicationSlotLagBytes}; -1 until a check succeeded, and after a failed one). The checks run on
 * their own thread with database timeouts, so a slow database never holds up a checkpoint, and a
 * failed check is logged and counted ({@code failedChecks}), never fails the job.
 */
@Internal
public final class InventoryMonitor extends RichMapFunction<Long, String> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(InventoryMonitor.class);

    private final Configuration config;
    private final boolean reconcile;
    private transient volatile long driftRows;
    private transient volatile long driftTotals;
    private transient volatile long mismatchedRanges;
    private transient volatile long slotLag;
    private transient Counter failedChecks;
    private transient ExecutorService checks;
    private transient AtomicBoolean running;

    public InventoryMonitor(Configuration config, boolean reconcile) {
        this.config = config;
        this.reconcile = reconcile;
    }

    @Override
    public void open(OpenContext context) {
        driftRows = -1;
        driftTotals = -1;
        mismatchedRanges = -1;
        slotLag = -1;
        running = new AtomicBoolean();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        metrics.gauge("reconciliationDriftRows", () -> driftRows);
        metrics.gauge("reconciliationDriftTotals", () -> driftTotals);
        metrics.gauge("reconciliationMismatchedRanges", () -> mismatchedRanges);
        metrics.gauge("replicationSlotLagBytes", () -> slotLag);
        failedChecks = metrics.counter("failedChecks");
        checks =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "inventory-monitor");
                            thread.setDaemon(true);
                            return thread;
                        });
    }

    @Override
    public String map(Long tick) {
        if (running.compareAndSet(false, true)) {
            checks.execute(
                    () -> {
                        try {
                            check();
                        } finally {
                            running.set(false);
                        }
                    });
            return "check " + tick + " started";
        }
        return "check " + tick + " skipped: the previous one still runs";
    }

    private void check() {
        Reconciler.Endpoint source =
                new Reconciler.Endpoint(
                        config.get(InventorySyncOptions.SOURCE_URL),
                        config.get(InventorySyncOptions.SOURCE_USERNAME),
                        config.get(InventorySyncOptions.SOURCE_PASSWORD));
        try (Connection db = source.connect()) {
            slotLag =
                    ReplicationSlots.find(db, config.get(InventorySyncOptions.SLOT_NAME))
                            .map(s -> s.lagBytes)
                            .orElse(-1L);
        } catch (Exception e) {
            slotLag = -1;
            failedChecks.inc();
            LOG.warn("Cannot measure the replication slot's lag: {}", e.toString());
        }
        if (!reconcile) {
            return;
        }
        try {
            ReconciliationReport report = Reconciler.fromConfig(config).compare();
            driftRows = report.driftedRows();
            driftTotals = report.driftedTotals();
            mismatchedRanges = report.mismatchedBuckets();
            if (!report.inSync()) {
                LOG.info(
                        "Reconciliation found drift (changes in flight count too; drift that"
                                + " persists is real):\n{}",
                        report.toTable());
            }
        } catch (Exception e) {
            driftRows = -1;
            driftTotals = -1;
            mismatchedRanges = -1;
            failedChecks.inc();
            LOG.warn("Reconciliation failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        if (checks != null) {
            checks.shutdownNow();
        }
    }
}
