package io.pipelinekit.bench;

import io.pipelinekit.bench.jobs.Passthrough;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.StandaloneFlinkCluster;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.registry.EmbeddedSchemaRegistry;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The services a benchmark run shares: a KRaft Kafka broker and PostgreSQL (child processes), a
 * schema registry, and a standalone Flink cluster (JobManager and one TaskManager, child JVMs) with
 * the Table API runtime on its classpath and the benchmark's job jar uploaded.
 */
final class BenchServices implements AutoCloseable {

    final EmbeddedKafkaBroker kafka;
    final EmbeddedSchemaRegistry registry;
    final EmbeddedPostgresServer postgres;
    final Path workDir;
    private final Path jobsJar;
    private final int taskSlots;
    private StandaloneFlinkCluster flink;
    private FlinkRest rest;
    private String jarId;

    private BenchServices(Path workDir, Path jobsJar, int taskSlots) throws Exception {
        this.workDir = Files.createDirectories(workDir);
        this.jobsJar = jobsJar;
        this.taskSlots = taskSlots;
        // Transactions of an exactly-once sink with a 1 h timeout, as the jobs' presets need.
        this.kafka =
                EmbeddedKafkaBroker.builder()
                        .brokerProperty("transaction.max.timeout.ms", "3600000")
                        .maxHeap("1g")
                        .build()
                        .start();
        this.registry = EmbeddedSchemaRegistry.builder().build().start();
        this.postgres = EmbeddedPostgresServer.builder().build().start();
        startFlink();
    }

    static BenchServices start(Path workDir, Path jobsJar, int taskSlots) throws Exception {
        return new BenchServices(workDir, jobsJar, taskSlots);
    }

    /** A fresh TaskManager (and JobManager): for memory measurements that start from zero. */
    void restartFlink() throws Exception {
        flink.close();
        startFlink();
    }

    private void startFlink() throws IOException, InterruptedException {
        flink =
                StandaloneFlinkCluster.builder()
                        .taskSlots(taskSlots)
                        .tableRuntime()
                        .config("parallelism.default", "1")
                        // The harness reads progress from REST metrics; the default is 10 s.
                        .config("metrics.fetcher.update-interval", "200")
                        .config("taskmanager.memory.process.size", "3072m")
                        // 256 MiB per slot for RocksDB, as production slots have at least; with
                        // 64 MiB the fraud job's memtables flushed and stalled writes all the time.
                        .config("taskmanager.memory.managed.size", "1024m")
                        // Every run's main() loads the 38 MB job jar into the JobManager: the
                        // default 256 MiB of metaspace runs out after about 40 submissions.
                        .config("jobmanager.memory.process.size", "1600m")
                        .config("jobmanager.memory.jvm-metaspace.size", "768m")
                        .build()
                        .start();
        rest = new FlinkRest(flink.restUrl());
        jarId = flink.uploadJar(jobsJar);
    }

    FlinkRest rest() {
        return rest;
    }

    long taskManagerPid() {
        return flink.taskManagerPid();
    }

    String checkpointDir(String name) {
        return workDir.resolve("checkpoints").resolve(name).toUri().toString();
    }

    Configuration registryConfig() {
        Configuration config = new Configuration();
        config.set(SchemaRegistryOptions.URL, registry.url());
        return config;
    }

    /**
     * Writes {@code options} to a YAML file (secrets may not be passed as arguments) and returns
     * the arguments that load it.
     */
    List<String> configFile(String name, Map<String, String> options) throws IOException {
        StringBuilder yaml = new StringBuilder();
        options.forEach(
                (key, value) ->
                        yaml.append(key)
                                .append(": \"")
                                .append(value.replace("\\", "\\\\").replace("\"", "\\\""))
                                .append("\"\n"));
        Path file = Files.createDirectories(workDir.resolve("config")).resolve(name + ".yaml");
        Files.writeString(file, yaml.toString());
        return List.of("--config", file.toString());
    }

    /** Runs a class of the job jar and waits until all its tasks run. */
    String submit(String entryClass, List<String> args) throws Exception {
        String job = flink.runJar(jarId, entryClass, args, null);
        flink.awaitRunning(job, Duration.ofMinutes(2));
        return job;
    }

    /**
     * Runs the passthrough job from {@code input} to {@code output}; {@code name} is its consumer
     * group, transactional-id prefix and checkpoint folder.
     */
    String submitPassthrough(
            String input, String output, String name, String guarantee, long checkpointMillis)
            throws Exception {
        return submit(
                Passthrough.class.getName(),
                List.of(
                        "--bootstrap", kafka.bootstrapServers(),
                        "--registry", registry.url(),
                        "--input", input,
                        "--output", output,
                        "--group", name,
                        "--guarantee", guarantee,
                        "--transactional-id-prefix", name,
                        "--checkpoint-interval", Long.toString(checkpointMillis),
                        "--checkpoint-dir", checkpointDir(name)));
    }

    /** Cancels the job and waits until it is gone. */
    void cancel(String jobId) throws Exception {
        flink.cancel(jobId);
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            String state = rest.state(jobId);
            if (state.equals("CANCELED") || state.equals("FAILED") || state.equals("FINISHED")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Job " + jobId + " did not cancel within 1 min");
    }

    /** Fails fast, with the root cause, when a job under measurement fails or restarts. */
    void checkHealthy(String jobId) {
        String state = rest.state(jobId);
        if (!state.equals("RUNNING")) {
            throw new IllegalStateException(
                    "Job " + jobId + " is " + state + ": " + rest.rootException(jobId));
        }
    }

    String createTopic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(new NewTopic(name, partitions, (short) 1));
        return name;
    }

    /** A compacted topic, as upsert sinks require. */
    String createCompactedTopic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(
                new NewTopic(name, partitions, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact")));
        return name;
    }

    void deleteTopics(String... names) {
        try (Admin admin = kafka.admin()) {
            admin.deleteTopics(List.of(names)).all().get();
        } catch (Exception e) {
            System.out.println("    (could not delete topics " + List.of(names) + ": " + e + ")");
        }
    }

    /** Produces the payments keyed by card in the Confluent wire format; returns the topic. */
    String producePayments(String prefix, List<PaymentTransaction> payments) throws Exception {
        String topic = createTopic(prefix, 2);
        SerializationSchema<PaymentTransaction> encoder =
                ConfluentAvro.serializer(PaymentTransaction.class, topic, registryConfig());
        encoder.open(null);
        try (KafkaProducer<byte[], byte[]> producer =
                kafka.producer(
                        Map.of(
                                ProducerConfig.LINGER_MS_CONFIG,
                                20,
                                ProducerConfig.BATCH_SIZE_CONFIG,
                                256 * 1024))) {
            int sent = 0;
            for (PaymentTransaction tx : payments) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                tx.getCardId().getBytes(StandardCharsets.UTF_8),
                                encoder.serialize(tx)));
                if (++sent % 200_000 == 0) {
                    System.out.printf("    produced %,d of %,d payments%n", sent, payments.size());
                }
            }
            producer.flush();
        }
        return topic;
    }

    @Override
    public void close() {
        if (flink != null) {
            flink.close();
        }
        registry.close();
        kafka.close();
        postgres.close();
    }
}
