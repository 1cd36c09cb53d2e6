package io.pipelinekit.jobs.fraud;

import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.StandaloneFlinkCluster;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded job jar runs fraud-detection on a real standalone Flink 1.20 cluster (JobManager and
 * TaskManager processes), submitted through the REST API with a configuration file, as with {@code
 * flink run}. The TaskManager process is killed with SIGKILL while an alerts transaction with data
 * is open, and a new one takes over: the killed attempt's transaction must not hold back
 * read_committed readers for longer than one checkpoint interval after the job runs again, and the
 * alerts equal the reference model exactly once.
 */
class FraudDetectionOnStandaloneClusterITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    /** The test bed's checkpoint interval: the bound on how long readers may be held back. */
    private static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(1);

    @TempDir Path work;

    @Test
    void theShadedJarScoresPaymentsOnAStandaloneClusterThroughATaskManagerKill() throws Exception {
        Path jar = Paths.get(System.getProperty("shaded.jar"));
        assertThat(jar).exists();
        FraudTestBed bed =
                new FraudTestBed(
                        KAFKA.service(),
                        REGISTRY.registry().url(),
                        work.resolve("checkpoints").toUri().toString());
        bed.publishRules(FraudRules.defaults());
        List<PaymentTransaction> payments = FraudTestBed.generate(10, 2_000);
        TreeSet<String> expected =
                FraudTestBed.expectedAlerts(payments, FraudRules.defaults(), tx -> true);
        assertThat(expected).isNotEmpty();

        Path configFile = work.resolve("fraud-detection.yaml");
        StringBuilder yaml = new StringBuilder();
        bed.config
                .toMap()
                .forEach((k, v) -> yaml.append(k).append(": \"").append(v).append("\"\n"));
        Files.writeString(configFile, yaml.toString());

        try (StandaloneFlinkCluster flink =
                StandaloneFlinkCluster.builder()
                        .taskSlots(4)
                        .config("parallelism.default", "2")
                        // A killed TaskManager is noticed in seconds, not the default 50 s.
                        .config("heartbeat.interval", "1000")
                        .config("heartbeat.timeout", "5000")
                        .build()
                        .start()) {
            String jarId = flink.uploadJar(jar);
            String job =
                    flink.runJar(
                            jarId,
                            FraudDetectionJob.class.getName(),
                            List.of("--config", configFile.toString()),
                            null);
            flink.awaitRunning(job, Duration.ofMinutes(2));
            bed.awaitRulesInForce();
            bed.produce(
                    payments,
                    payments.get(payments.size() - 1).getEventTime().plusSeconds(3600),
                    false);

            // Kill the TaskManager at a moment when an alerts transaction holds records.
            Map<TopicPartition, Long> writtenAtKill = awaitOpenTransaction(bed.alerts);
            long killed = System.currentTimeMillis();
            flink.killTaskManager();
            flink.startTaskManager();
            flink.awaitRestarted(job, killed, Duration.ofMinutes(2));
            long running = System.nanoTime();
            awaitCommittedPast(bed.alerts, writtenAtKill);
            Duration blocked = Duration.ofNanos(System.nanoTime() - running);
            System.out.printf(
                    "fraud-detection: read_committed readers were held back %d ms after the"
                            + " job ran again (checkpoint interval %s)%n",
                    blocked.toMillis(), CHECKPOINT_INTERVAL);
            assertThat(blocked)
                    .as("time the killed attempt's transaction blocked read_committed readers")
                    .isLessThanOrEqualTo(CHECKPOINT_INTERVAL);

            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .as("alerts from the shaded jar; cluster logs:%n%s", flink.logTail(40))
                    .isEqualTo(expected);
            flink.cancel(job);
        }
    }

    /**
     * Waits until some partition's last stable offset is below its end: a transaction with records
     * is open. Returns the end offsets at that moment.
     */
    private static Map<TopicPartition, Long> awaitOpenTransaction(String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            Map<TopicPartition, Long> end = offsets(topic, IsolationLevel.READ_UNCOMMITTED);
            Map<TopicPartition, Long> stable = offsets(topic, IsolationLevel.READ_COMMITTED);
            for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
                if (stable.get(partition.getKey()) < partition.getValue()) {
                    return end;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("No open transaction with records on " + topic + " within 1 min");
    }

    /** Waits until every partition's last stable offset reached {@code written}. */
    private static void awaitCommittedPast(String topic, Map<TopicPartition, Long> written)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            Map<TopicPartition, Long> stable = offsets(topic, IsolationLevel.READ_COMMITTED);
            if (written.entrySet().stream().allMatch(p -> stable.get(p.getKey()) >= p.getValue())) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(
                "read_committed readers of " + topic + " stayed blocked for 2 min: " + written);
    }

    private static Map<TopicPartition, Long> offsets(String topic, IsolationLevel isolation)
            throws Exception {
        try (Admin admin = KAFKA.service().admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            int partitions =
                    admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get()
                            .get(topic)
                            .partitions()
                            .size();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> offsets = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(isolation))
                    .all()
                    .get()
                    .forEach((partition, info) -> offsets.put(partition, info.offset()));
            return offsets;
        }
    }
}
