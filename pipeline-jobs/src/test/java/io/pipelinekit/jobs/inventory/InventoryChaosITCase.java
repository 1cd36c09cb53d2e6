package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.testkit.chaos.ChaosReport;
import io.pipelinekit.testkit.chaos.ChaosServices;
import io.pipelinekit.testkit.chaos.FailAfterCheckpoint;
import io.pipelinekit.testkit.chaos.FaultInjector;
import io.pipelinekit.testkit.chaos.FaultKind;
import io.pipelinekit.testkit.chaos.FaultPlan;
import io.pipelinekit.testkit.chaos.ReadCommittedTail;
import io.pipelinekit.testkit.chaos.SetEquality;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * inventory-sync (capture and sync in one job) under a seeded plan of mixed faults while a client
 * changes the source table: TaskManagers terminated, PostgreSQL crash restarts (source and target
 * database alike), the sink's connections killed, Kafka broker hard restarts and S3 outages. The
 * changelog a read_committed reader sees holds each key's changes once and in LSN order, and once
 * the client stops the target table equals the source table.
 *
 * <p>{@code ./mvnw verify} runs 5 faults; {@code -Dchaos.long=true} runs 20 and writes its report
 * to {@code target/chaos/inventory-sync.md} (docs/reliability.md shows the last one). Replay with
 * {@code -Dchaos.seed=<seed>}.
 */
class InventoryChaosITCase {

    private static final Logger LOG = LoggerFactory.getLogger(InventoryChaosITCase.class);

    private static final boolean LONG = Boolean.getBoolean("chaos.long");
    private static final int FAULTS = LONG ? 20 : 6;

    /** The name the plan arms the job's {@link FailAfterCheckpoint} operator under. */
    private static final String FAILURE_POINT = "inventory-chaos";

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    private static ChaosServices services;
    private static EmbeddedPostgresServer postgres;

    @BeforeAll
    static void start() throws Exception {
        // Private services: the plan kills them, which the shared ones must never see.
        services = ChaosServices.start(4);
        postgres = EmbeddedPostgresServer.builder().build().start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (services != null) {
                services.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    @Test
    void changelogStaysExactlyOnceAndTheTargetEqualsTheSourceUnderMixedFaults() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(FaultPlan.seedFromSystemProperty(20261123L))
                        .faults(FAULTS)
                        .kinds(
                                FaultKind.TASK_MANAGER_KILL,
                                FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT,
                                FaultKind.POSTGRES_RESTART,
                                FaultKind.SINK_CONNECTIONS_KILLED,
                                FaultKind.KAFKA_BROKER_RESTART,
                                FaultKind.S3_OUTAGE)
                        .spacing(Duration.ofSeconds(4), Duration.ofSeconds(8))
                        .downtime(Duration.ofSeconds(1), Duration.ofSeconds(3))
                        .build();
        LOG.info("{}", plan.toTable());
        EmbeddedKafkaBroker broker = services.broker();
        FlinkTestCluster flink = services.flink();
        PostgresDatabase source = postgres.createDatabase("chaos_source");
        PostgresDatabase target = postgres.createDatabase("chaos_target");
        String slot = "chaos_" + UUID.randomUUID().toString().substring(0, 8);
        String changelog = "inventory-changes-" + slot;
        String dlq = "inventory-dlq-" + slot;
        broker.createTopics(new NewTopic(changelog, 2, (short) 1), new NewTopic(dlq, 1, (short) 1));
        Configuration config =
                InventoryTestConfig.of(
                        broker.bootstrapServers(),
                        REGISTRY.registry().url(),
                        flink.checkpointDirectory(),
                        slot,
                        source,
                        target);
        config.set(InventorySyncOptions.STOCK_LEVELS_TOPIC, "");
        config.set(InventorySyncOptions.RECONCILE_INTERVAL, Duration.ZERO);

        new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 23)
                .seed(300, 3)
                .close();
        JobID job = submit(flink, config);
        ChaosReport.Builder report = ChaosReport.builder().plan(plan);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong changes = new AtomicLong();
        Thread client = client(source, stop, changes);
        try (ReadCommittedTail output = ReadCommittedTail.start(broker, changelog)) {
            flink.awaitRunning(job, Duration.ofMinutes(1));
            awaitEqual(source, target, Duration.ofMinutes(2));
            client.start();
            try (FaultInjector chaos =
                    FaultInjector.builder(plan)
                            .taskManagers(flink)
                            .operatorFailures(FAILURE_POINT)
                            .postgres(postgres)
                            .sinkConnections(postgres, "pipelinekit-sink stock_levels%")
                            .kafkaBroker(broker)
                            .s3(services.s3())
                            .outputProgress(output::count)
                            .checkpoints(flink, job)
                            .build()
                            .start()) {
                chaos.awaitCompletion(plan.minimumDuration().multipliedBy(3).plusMinutes(2));
                stop.set(true);
                client.join(TimeUnit.MINUTES.toMillis(2));
                report.events(chaos.events());
            }
            Map<String, Long> expected = awaitEqual(source, target, Duration.ofMinutes(3));
            report.check(SetEquality.equality(rows(expected), rows(table(target, "stock_levels"))));
            List<String> problems = changelogProblems(broker.readCommitted(changelog), config);
            report.recordsIn(changes.get()).recordsOut(output.count()).flinkJob(flink, job);
            assertThat(problems).as("changelog keys out of LSN order or repeated").isEmpty();
        } finally {
            stop.set(true);
            flink.cancel(job, Duration.ofMinutes(1));
        }
        ChaosReport result = report.build();
        LOG.info("Chaos report:\n{}", result.toMarkdown());
        System.out.println(result.toMarkdown());
        if (LONG) {
            Path file = Path.of("target/chaos/inventory-sync.md");
            Files.createDirectories(file.getParent());
            Files.writeString(
                    file,
                    "# inventory-sync under faults\n\n"
                            + "`./mvnw -pl pipeline-jobs verify -Dtest=none"
                            + " -Dsurefire.failIfNoSpecifiedTests=false"
                            + " -Dit.test=InventoryChaosITCase -Dchaos.long=true`, "
                            + Instant.now()
                            + "\n\n"
                            + result.toMarkdown(),
                    StandardCharsets.UTF_8);
        }
        result.assertHolds();
        assertThat(result.faultsByKind().keySet())
                .containsExactlyInAnyOrderElementsOf(plan.kinds());
    }

    /** Applies changes until stopped; reconnects (and re-reads the table) after a lost server. */
    private static Thread client(PostgresDatabase source, AtomicBoolean stop, AtomicLong count) {
        return new Thread(
                () -> {
                    InventoryWorkload workload = null;
                    while (!stop.get()) {
                        try {
                            if (workload == null) {
                                workload =
                                        new InventoryWorkload(
                                                        source.jdbcUrl(),
                                                        source.username(),
                                                        source.password(),
                                                        count.get())
                                                .load();
                            }
                            workload.applyChanges(1);
                            count.incrementAndGet();
                            // The long run changes as fast as one client can (100,000 and more
                            // changes under the plan); the short one leaves CPU to the job.
                            if (!LONG) {
                                Thread.sleep(10);
                            }
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception lostServer) {
                            closeQuietly(workload);
                            workload = null;
                            try {
                                Thread.sleep(500);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                    closeQuietly(workload);
                },
                "inventory-client");
    }

    private static void closeQuietly(InventoryWorkload workload) {
        if (workload != null) {
            try {
                workload.close();
            } catch (Exception ignored) {
                // the server is gone
            }
        }
    }

    /** Every key's records, in offset order per partition, have strictly increasing LSNs. */
    private static List<String> changelogProblems(
            List<ConsumerRecord<byte[], byte[]>> records, Configuration config) throws Exception {
        DeserializationSchema<InventoryChangeEvent> deserializer =
                ConfluentAvro.deserializer(InventoryChangeEvent.class, config);
        deserializer.open(null);
        Map<String, Long> lastLsn = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            InventoryChangeEvent change = deserializer.deserialize(record.value());
            String key = change.getProductId() + "/" + change.getWarehouseId();
            Long previous = lastLsn.put(key, change.getLsn());
            boolean snapshot = change.getOperation() == ChangeOperation.SNAPSHOT;
            if (previous != null && !snapshot && change.getLsn() <= previous) {
                problems.add(key + ": LSN " + change.getLsn() + " after " + previous);
            }
        }
        return problems;
    }

    private static Map<String, Long> awaitEqual(
            PostgresDatabase source, PostgresDatabase target, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Long> expected = Map.of();
        Map<String, Long> actual = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                expected = table(source, "stock");
                actual = table(target, "stock_levels");
                if (!expected.isEmpty() && expected.equals(actual)) {
                    return expected;
                }
            } catch (java.sql.SQLException notYet) {
                // the target table is created by the job
            }
            Thread.sleep(1000);
        }
        assertThat(actual).as("target table").isEqualTo(expected);
        return expected;
    }

    private static Map<String, Long> table(PostgresDatabase db, String table) throws Exception {
        try (Connection connection = db.connect()) {
            return InventoryWorkload.stock(connection, table);
        }
    }

    private static List<String> rows(Map<String, Long> table) {
        List<String> rows = new ArrayList<>();
        table.forEach((key, quantity) -> rows.add(key + "=" + quantity));
        return rows;
    }

    private static JobID submit(FlinkTestCluster flink, Configuration config) throws Exception {
        StreamExecutionEnvironment env = flink.environment(2);
        // A pass-through operator in front of the stock levels that the plan makes throw right
        // after a completed checkpoint: the job's own operators then restore and replay from it.
        InventorySyncJob.build(
                env,
                config,
                changes ->
                        changes.map(
                                        FailAfterCheckpoint.<InventoryChangeEvent>operator(
                                                FAILURE_POINT))
                                .returns(changes.getType())
                                .uid("chaos-failure-point")
                                .name("chaos-failure-point"));
        // The job's own policy gives up after 10 failures without an hour of quiet in between;
        // a chaos plan packs its faults into minutes.
        env.configure(ChaosServices.restartThroughEveryFault());
        return flink.submit(env, InventorySyncJob.NAME).getJobID();
    }
}
