package io.pipelinekit.jobs.inventory;

import io.pipelinekit.testkit.flink.StandaloneFlinkCluster;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.configuration.Configuration;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded job jar on a real standalone Flink 1.20 cluster (JobManager and TaskManager
 * processes): uploaded and run through the REST API with a configuration file, stopped with a
 * savepoint, resubmitted from it, and the target still equals the source.
 */
class InventorySyncOnStandaloneClusterITCase {

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();
    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @TempDir Path work;

    @Test
    void theShadedJarRunsOnAStandaloneClusterAndResumesFromASavepoint() throws Exception {
        Path jar = Paths.get(System.getProperty("shaded.jar"));
        assertThat(jar).exists();
        PostgresDatabase source = POSTGRES.database();
        PostgresDatabase target = POSTGRES.service().createDatabase("standalone_target");
        String slot = "standalone_" + UUID.randomUUID().toString().substring(0, 8);
        KAFKA.service()
                .createTopics(
                        new NewTopic("changes-" + slot, 2, (short) 1),
                        new NewTopic("levels-" + slot, 2, (short) 1)
                                .configs(Map.of("cleanup.policy", "compact")),
                        new NewTopic("dlq-" + slot, 1, (short) 1));
        Map<String, String> settings =
                Map.ofEntries(
                        Map.entry("kafka.bootstrap-servers", KAFKA.service().bootstrapServers()),
                        Map.entry("kafka.source.group-id", "sync-" + slot),
                        Map.entry("schema-registry.url", REGISTRY.registry().url()),
                        Map.entry(
                                "checkpoint.storage",
                                work.resolve("checkpoints").toUri().toString()),
                        Map.entry("checkpoint.interval", "1 s"),
                        Map.entry("dlq.topic", "dlq-" + slot),
                        Map.entry("inventory.cdc.slot-name", slot),
                        Map.entry("inventory.source.url", source.jdbcUrl()),
                        Map.entry("inventory.source.username", source.username()),
                        Map.entry("inventory.source.password", source.password()),
                        Map.entry("inventory.target.url", target.jdbcUrl()),
                        Map.entry("inventory.target.username", target.username()),
                        Map.entry("inventory.target.password", target.password()),
                        Map.entry("inventory.changelog-topic", "changes-" + slot),
                        Map.entry("inventory.stock-levels-topic", "levels-" + slot),
                        Map.entry("inventory.reconcile.interval", "10 s"));
        Path configFile = work.resolve("inventory-sync.yaml");
        StringBuilder yaml = new StringBuilder();
        settings.forEach((k, v) -> yaml.append(k).append(": \"").append(v).append("\"\n"));
        Files.writeString(configFile, yaml.toString());
        Configuration config =
                InventorySyncJob.loadConfig(new String[] {"--config", configFile.toString()});

        try (InventoryWorkload workload =
                        new InventoryWorkload(
                                        source.jdbcUrl(), source.username(), source.password(), 3)
                                .seed(100, 5);
                StandaloneFlinkCluster flink =
                        StandaloneFlinkCluster.builder()
                                .taskSlots(4)
                                .config(
                                        "state.savepoints.dir",
                                        work.resolve("savepoints").toUri().toString())
                                .build()
                                .start()) {
            String jarId = flink.uploadJar(jar);
            List<String> args = List.of("--config", configFile.toString());
            String job = flink.runJar(jarId, InventorySyncJob.class.getName(), args, null);
            flink.awaitRunning(job, Duration.ofMinutes(2));
            awaitInSync(config, flink);
            workload.applyChanges(100);
            awaitInSync(config, flink);

            String savepoint = flink.stopWithSavepoint(job, Duration.ofMinutes(2));
            workload.applyChanges(100);
            String resumed = flink.runJar(jarId, InventorySyncJob.class.getName(), args, savepoint);
            flink.awaitRunning(resumed, Duration.ofMinutes(2));
            workload.applyChanges(100);
            awaitInSync(config, flink);
            try (Connection s = source.connect();
                    Connection t = target.connect()) {
                assertThat(InventoryWorkload.stock(t, "stock_levels"))
                        .isEqualTo(InventoryWorkload.stock(s, "stock"))
                        .isNotEmpty();
            }
            flink.cancel(resumed);
        }
        try (Connection s = source.connect()) {
            // Give the cancelled job a moment to release the slot, then retire the deployment.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ReplicationSlots.find(s, slot).map(x -> x.active).orElse(false)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(ReplicationSlots.drop(s, slot)).isTrue();
        }
    }

    private static void awaitInSync(Configuration config, StandaloneFlinkCluster flink)
            throws Exception {
        ReconciliationReport report =
                Reconciler.fromConfig(config).awaitInSync(Duration.ofMinutes(3));
        assertThat(report.inSync())
                .as(
                        "source and target agree:%n%s%nCluster logs:%n%s",
                        report.toTable(), flink.logTail(40))
                .isTrue();
    }
}
