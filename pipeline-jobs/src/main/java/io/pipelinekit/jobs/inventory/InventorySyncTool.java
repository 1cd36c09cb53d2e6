package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.sink.postgres.PostgresConnections;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;

import java.io.PrintStream;
import java.sql.Connection;
import java.util.Arrays;
import java.util.Optional;

/**
 * Operations of an inventory-sync deployment from the command line, with the job's configuration:
 *
 * <pre>
 * java -cp pipeline-jobs.jar:$FLINK_HOME/lib/* io.pipelinekit.jobs.inventory.InventorySyncTool \
 *     reconcile|slot-status|drop-slot --config sync.yaml [--key value ...]
 * </pre>
 *
 * <p>Exit codes: 0 success (reconcile: source and target agree), 1 error, 2 drift found.
 */
@PublicEvolving
public final class InventorySyncTool {

    private InventorySyncTool() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(
                    "usage: InventorySyncTool reconcile|slot-status|drop-slot --config <file>"
                            + " [--key value ...]");
            return 1;
        }
        String command = args[0];
        try {
            Configuration config =
                    InventorySyncJob.loadConfig(Arrays.copyOfRange(args, 1, args.length));
            switch (command) {
                case "reconcile":
                    ReconciliationReport report = Reconciler.fromConfig(config).compare();
                    out.print(report.toTable());
                    return report.inSync() ? 0 : 2;
                case "slot-status":
                    try (Connection source = source(config)) {
                        String slot = config.get(InventorySyncOptions.SLOT_NAME);
                        Optional<ReplicationSlots.Slot> found = ReplicationSlots.find(source, slot);
                        out.println(
                                found.map(Object::toString)
                                        .orElse("No replication slot '" + slot + "'"));
                        return 0;
                    }
                case "drop-slot":
                    try (Connection source = source(config)) {
                        String slot = config.get(InventorySyncOptions.SLOT_NAME);
                        boolean dropped = ReplicationSlots.drop(source, slot);
                        out.println(
                                dropped
                                        ? "Dropped replication slot '"
                                                + slot
                                                + "' and its publication: the source no longer"
                                                + " keeps WAL for this deployment."
                                        : "No replication slot '" + slot + "' (already dropped).");
                        return 0;
                    }
                default:
                    err.println(
                            "Unknown command '"
                                    + command
                                    + "': use reconcile, slot-status or drop-slot");
                    return 1;
            }
        } catch (Exception e) {
            err.println(command + " failed: " + e.getMessage());
            return 1;
        }
    }

    private static Connection source(Configuration config) throws java.sql.SQLException {
        return PostgresConnections.connect(
                config.getOptional(InventorySyncOptions.SOURCE_URL)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "needs " + InventorySyncOptions.SOURCE_URL.key())),
                config.get(InventorySyncOptions.SOURCE_USERNAME),
                config.get(InventorySyncOptions.SOURCE_PASSWORD));
    }
}
