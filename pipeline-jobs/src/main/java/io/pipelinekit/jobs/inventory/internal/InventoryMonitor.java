package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.sink.postgres.PostgresConnections;
import io.pipelinekit.jobs.inventory.InventorySyncOptions;
import io.pipelinekit.jobs.inventory.Reconciler;
import io.pipelinekit.jobs.inventory.ReconciliationReport;
import io.pipelinekit.jobs.inventory.ReplicationSlots;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;

/**
 * Runs on every tick inside the job: reconciles source and target and measures the replication
 * slot's lag, as gauges ({@code reconciliationDriftRows}, {@code reconciliationDriftTotals}, {@code
 * reconciliationMismatchedRanges}, {@code replicationSlotLagBytes}); logs the report when it shows
 * drift. Failures of a check are logged and counted, never fail the job.
 */
@Internal
public final class InventoryMonitor extends RichMapFunction<Long, String> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(InventoryMonitor.class);

    private final Configuration config;
    private final boolean reconcile;
    private transient volatile long driftRows = -1;
    private transient volatile long driftTotals = -1;
    private transient volatile long mismatchedRanges = -1;
    private transient volatile long slotLag = -1;
    private transient org.apache.flink.metrics.Counter failedChecks;

    public InventoryMonitor(Configuration config, boolean reconcile) {
        this.config = config;
        this.reconcile = reconcile;
    }

    @Override
    public void open(OpenContext context) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        metrics.gauge("reconciliationDriftRows", () -> driftRows);
        metrics.gauge("reconciliationDriftTotals", () -> driftTotals);
        metrics.gauge("reconciliationMismatchedRanges", () -> mismatchedRanges);
        metrics.gauge("replicationSlotLagBytes", () -> slotLag);
        failedChecks = metrics.counter("failedChecks");
    }

    @Override
    public String map(Long tick) {
        StringBuilder summary = new StringBuilder();
        try (Connection source =
                PostgresConnections.connect(
                        config.get(InventorySyncOptions.SOURCE_URL),
                        config.get(InventorySyncOptions.SOURCE_USERNAME),
                        config.get(InventorySyncOptions.SOURCE_PASSWORD))) {
            slotLag =
                    ReplicationSlots.find(source, config.get(InventorySyncOptions.SLOT_NAME))
                            .map(s -> s.lagBytes)
                            .orElse(-1L);
            summary.append("slot lag ").append(slotLag).append(" bytes");
        } catch (Exception e) {
            failedChecks.inc();
            LOG.warn("Cannot measure the replication slot's lag: {}", e.toString());
        }
        if (reconcile) {
            try {
                ReconciliationReport report = Reconciler.fromConfig(config).compare();
                driftRows = report.driftedRows();
                driftTotals = report.driftedTotals();
                mismatchedRanges = report.mismatchedBuckets();
                summary.append(", drift ").append(driftRows).append(" rows");
                if (!report.inSync()) {
                    LOG.info(
                            "Reconciliation found drift (changes in flight count too; drift that"
                                    + " persists is real):\n{}",
                            report.toTable());
                }
            } catch (Exception e) {
                failedChecks.inc();
                LOG.warn("Reconciliation failed: {}", e.toString());
            }
        }
        return summary.toString();
    }
}
