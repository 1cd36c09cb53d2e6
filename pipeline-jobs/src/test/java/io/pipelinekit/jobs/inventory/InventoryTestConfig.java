package io.pipelinekit.jobs.inventory;

import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.configuration.Configuration;

/** The inventory-sync configuration the integration tests share, named after a slot. */
public final class InventoryTestConfig {

    private InventoryTestConfig() {}

    /**
     * Capture from {@code source}, sync into {@code target}: topics {@code
     * inventory-changes-<slot>} and {@code inventory-dlq-<slot>}, group {@code sync-<slot>},
     * checkpoints every second, sink buffers flushed after 100 ms. Callers add what differs (the
     * stock levels topic, the reconcile interval, the known warehouses) and create the topics.
     */
    public static Configuration of(
            String bootstrapServers,
            String registryUrl,
            String checkpointStorage,
            String slot,
            PostgresDatabase source,
            PostgresDatabase target) {
        Configuration config = new Configuration();
        config.setString("kafka.bootstrap-servers", bootstrapServers);
        config.setString("kafka.source.group-id", "sync-" + slot);
        config.setString("schema-registry.url", registryUrl);
        config.setString("checkpoint.storage", checkpointStorage);
        config.setString("checkpoint.interval", "1 s");
        config.setString("dlq.topic", "inventory-dlq-" + slot);
        config.setString("sink.buffer.max-time", "100 ms");
        config.set(InventorySyncOptions.SLOT_NAME, slot);
        config.set(InventorySyncOptions.SOURCE_URL, source.jdbcUrl());
        config.set(InventorySyncOptions.SOURCE_USERNAME, source.username());
        config.set(InventorySyncOptions.SOURCE_PASSWORD, source.password());
        config.set(InventorySyncOptions.TARGET_URL, target.jdbcUrl());
        config.set(InventorySyncOptions.TARGET_USERNAME, target.username());
        config.set(InventorySyncOptions.TARGET_PASSWORD, target.password());
        config.set(InventorySyncOptions.CHANGELOG_TOPIC, "inventory-changes-" + slot);
        return config;
    }
}
