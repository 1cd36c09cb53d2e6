package io.pipelinekit.jobs.inventory;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;
import java.util.List;

/** Options of the inventory-sync job (next to the core's Kafka, checkpoint and DLQ options). */
@PublicEvolving
public final class InventorySyncOptions {

    /** Which parts of the job run. */
    public enum Mode {
        /** Capture and sync in one job (the default). */
        ALL,
        /** Only Postgres CDC to the changelog topic. */
        CAPTURE,
        /** Only changelog topic to the targets (e.g. to rebuild a target from the topic). */
        SYNC
    }

    /** Where capture starts. */
    public enum CaptureStartup {
        /** Snapshot the table (parallel, lock-free), then stream its changes. */
        INITIAL,
        /** Stream changes from now on, without a snapshot. */
        LATEST,
        /** Stream from the position the replication slot has confirmed (a slot that exists). */
        COMMITTED
    }

    /** Where sync starts reading the changelog topic when it has no checkpoint. */
    public enum SyncStartup {
        /** The consumer group's committed offsets, or the earliest where there are none. */
        COMMITTED,
        /** The beginning of the topic: rebuilds the targets from the whole changelog. */
        EARLIEST,
        /** The first change at or after {@code inventory.sync.startup-timestamp}. */
        TIMESTAMP
    }

    public static final ConfigOption<Mode> MODE =
            ConfigOptions.key("inventory.mode")
                    .enumType(Mode.class)
                    .defaultValue(Mode.ALL)
                    .withDescription("Which parts run: ALL, CAPTURE (CDC to topic) or SYNC.");

    public static final ConfigOption<String> SOURCE_URL =
            ConfigOptions.key("inventory.source.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JDBC URL of the source database, jdbc:postgresql://host:port/db; it"
                                    + " needs wal_level=logical.");

    public static final ConfigOption<String> SOURCE_USERNAME =
            ConfigOptions.key("inventory.source.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Source user with the REPLICATION attribute.");

    public static final ConfigOption<String> SOURCE_PASSWORD =
            ConfigOptions.key("inventory.source.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Source password (from a secret, never inline).");

    public static final ConfigOption<String> SOURCE_TABLE =
            ConfigOptions.key("inventory.source.table")
                    .stringType()
                    .defaultValue("public.stock")
                    .withDescription(
                            "The captured table (schema.table) with product_id, warehouse_id and"
                                    + " quantity.");

    public static final ConfigOption<String> SLOT_NAME =
            ConfigOptions.key("inventory.cdc.slot-name")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Replication slot of this deployment, unique per deployment (e.g."
                                    + " inventory_sync_prod). Drop it when the deployment is"
                                    + " retired, or the source keeps WAL for it forever.");

    public static final ConfigOption<CaptureStartup> CAPTURE_STARTUP =
            ConfigOptions.key("inventory.cdc.startup-mode")
                    .enumType(CaptureStartup.class)
                    .defaultValue(CaptureStartup.INITIAL)
                    .withDescription(
                            "INITIAL (snapshot, then changes), LATEST (changes from now) or"
                                    + " COMMITTED (from the slot's confirmed position). Restores"
                                    + " from a checkpoint or savepoint ignore it.");

    public static final ConfigOption<Integer> SNAPSHOT_SPLIT_SIZE =
            ConfigOptions.key("inventory.cdc.snapshot-split-size")
                    .intType()
                    .defaultValue(8096)
                    .withDescription("Rows per snapshot chunk; chunks are read in parallel.");

    public static final ConfigOption<String> CHANGELOG_TOPIC =
            ConfigOptions.key("inventory.changelog-topic")
                    .stringType()
                    .defaultValue("inventory.changes")
                    .withDescription(
                            "Topic of InventoryChangeEvent records, written exactly-once, keyed by"
                                    + " productId/warehouseId.");

    public static final ConfigOption<String> STOCK_LEVELS_TOPIC =
            ConfigOptions.key("inventory.stock-levels-topic")
                    .stringType()
                    .defaultValue("inventory.stock-levels")
                    .withDescription(
                            "Compacted topic of StockLevel records keyed by productId/warehouseId"
                                    + " (empty: not written).");

    public static final ConfigOption<String> TARGET_URL =
            ConfigOptions.key("inventory.target.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JDBC URL of the target database (tables stock_levels and"
                                    + " product_totals).");

    public static final ConfigOption<String> TARGET_USERNAME =
            ConfigOptions.key("inventory.target.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Target user.");

    public static final ConfigOption<String> TARGET_PASSWORD =
            ConfigOptions.key("inventory.target.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Target password (from a secret, never inline).");

    public static final ConfigOption<Boolean> TARGET_CREATE_TABLES =
            ConfigOptions.key("inventory.target.create-tables")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Create the target tables when they do not exist.");

    public static final ConfigOption<SyncStartup> SYNC_STARTUP =
            ConfigOptions.key("inventory.sync.startup-mode")
                    .enumType(SyncStartup.class)
                    .defaultValue(SyncStartup.COMMITTED)
                    .withDescription(
                            "Where sync starts in the changelog without a checkpoint: COMMITTED,"
                                    + " EARLIEST (rebuild) or TIMESTAMP (reprocess).");

    public static final ConfigOption<Long> SYNC_STARTUP_TIMESTAMP =
            ConfigOptions.key("inventory.sync.startup-timestamp")
                    .longType()
                    .noDefaultValue()
                    .withDescription("Epoch milliseconds for sync startup mode TIMESTAMP.");

    public static final ConfigOption<List<String>> KNOWN_WAREHOUSES =
            ConfigOptions.key("inventory.sync.known-warehouses")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription(
                            "Warehouse ids that may appear; changes for others are dead-lettered"
                                    + " (UNKNOWN_WAREHOUSE). Empty: any warehouse is accepted.");

    public static final ConfigOption<Long> MAX_JUMP =
            ConfigOptions.key("inventory.sync.max-jump")
                    .longType()
                    .defaultValue(1_000_000L)
                    .withDescription(
                            "Largest plausible change of a quantity in one change; larger jumps are"
                                    + " dead-lettered (IMPOSSIBLE_JUMP) for review. 0 disables the"
                                    + " check.");

    public static final ConfigOption<Duration> RECONCILE_INTERVAL =
            ConfigOptions.key("inventory.reconcile.interval")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(5))
                    .withDescription(
                            "How often the job compares source and target and reports drift and"
                                    + " replication-slot lag as metrics; 0 disables it.");

    public static final ConfigOption<Integer> RECONCILE_BUCKETS =
            ConfigOptions.key("inventory.reconcile.buckets")
                    .intType()
                    .defaultValue(16)
                    .withDescription(
                            "Key ranges (hash buckets) compared by row count and checksum.");

    private InventorySyncOptions() {}
}
