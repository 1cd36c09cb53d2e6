package io.pipelinekit.jobs;

import io.pipelinekit.jobs.fraud.FraudDetectionJob;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.jobs.fraud.FraudTestBed;
import io.pipelinekit.jobs.inventory.InventorySyncJob;
import io.pipelinekit.jobs.inventory.InventorySyncOptions;
import io.pipelinekit.jobs.inventory.InventoryTestConfig;
import io.pipelinekit.jobs.inventory.InventoryWorkload;
import io.pipelinekit.jobs.inventory.Reconciler;
import io.pipelinekit.jobs.inventory.ReconciliationReport;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Both jobs against a broker whose only way in for them is SASL_SSL (SCRAM-SHA-512, a CA made at
 * test time), configured as in production: a config file, the password from the environment and the
 * trust store password from a file. Wrong credentials and an untrusted certificate fail at build
 * time with what to fix; no log line and no dead letter of the run contains the password.
 */
class JobsOverSaslSslITCase {

    private static final String USER = "pipeline-svc";

    /** Random, so that finding it anywhere means it leaked from this run. */
    private static final String PASSWORD = "pk-" + UUID.randomUUID();

    private static final Path TEST_LOG = Path.of("target/test.log");

    private static EmbeddedKafkaBroker broker;

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    @TempDir Path secrets;

    private long logOffset;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.builder().scramUser(USER, PASSWORD).tls().build().start();
        // The Kafka clients print their whole configuration at INFO: the scan must see it.
        Configurator.setLevel("org.apache.kafka", Level.INFO);
    }

    @AfterAll
    static void stopBroker() {
        Configurator.setLevel("org.apache.kafka", Level.WARN);
        broker.close();
    }

    @AfterEach
    void cancelJobs() throws Exception {
        FLINK.cluster().cancelAllJobs(Duration.ofSeconds(30));
    }

    @Test
    void fraudDetectionScoresOverSaslSslAndLeaksNoSecret() throws Exception {
        logOffset = logSize();
        FraudTestBed bed =
                new FraudTestBed(
                        broker, REGISTRY.registry().url(), FLINK.cluster().checkpointDirectory());
        bed.publishRules(FraudRules.defaults());
        Configuration config = FraudDetectionJob.loadConfig(args(bed.config), env(PASSWORD));

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        FraudDetectionJob.build(env, config);
        FLINK.cluster().submit(env, FraudDetectionJob.NAME);
        bed.awaitRulesInForce();
        List<PaymentTransaction> payments = FraudTestBed.generate(5, 2_000);
        TreeSet<String> expected =
                FraudTestBed.expectedAlerts(payments, FraudRules.defaults(), tx -> true);
        Instant last = payments.get(payments.size() - 1).getEventTime();
        // With one malformed record, so that the run writes a dead letter.
        bed.produce(payments, last.plus(Duration.ofHours(1)), true);

        assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size()))).isEqualTo(expected);
        List<ConsumerRecord<byte[], byte[]>> deadLetters = awaitRecords(bed.dlq, 1);
        assertNoSecretIn(deadLetters);

        assertFailsFastWithoutLeaking(bed.config, false);
    }

    @Test
    void inventorySyncCapturesAndSyncsOverSaslSslAndLeaksNoSecret() throws Exception {
        logOffset = logSize();
        PostgresDatabase source = POSTGRES.database();
        PostgresDatabase target = POSTGRES.service().createDatabase("sasl_target");
        String slot = "sasl_" + UUID.randomUUID().toString().substring(0, 8);
        String changelog = "inventory-changes-" + slot;
        String levels = "inventory-levels-" + slot;
        String dlq = "inventory-dlq-" + slot;
        broker.createTopics(
                new NewTopic(changelog, 2, (short) 1),
                new NewTopic(levels, 2, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                new NewTopic(dlq, 1, (short) 1));
        // The database passwords come from the environment below, never from the file.
        Configuration plain =
                InventoryTestConfig.of(
                        broker.bootstrapServers(),
                        REGISTRY.registry().url(),
                        FLINK.cluster().checkpointDirectory(),
                        slot,
                        source,
                        target);
        plain.set(InventorySyncOptions.STOCK_LEVELS_TOPIC, levels);
        plain.set(InventorySyncOptions.RECONCILE_INTERVAL, Duration.ZERO);
        plain.set(InventorySyncOptions.KNOWN_WAREHOUSES, List.of("W01", "W02", "W03"));
        Map<String, String> environment = new LinkedHashMap<>(env(PASSWORD));
        environment.put("PIPELINEKIT_INVENTORY_SOURCE_PASSWORD", source.password());
        environment.put("PIPELINEKIT_INVENTORY_TARGET_PASSWORD", target.password());
        Configuration config = InventorySyncJob.loadConfig(args(plain), environment);

        try (InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 5)
                        .seed(200, 3)) {
            StreamExecutionEnvironment env = FLINK.cluster().environment(2);
            InventorySyncJob.build(env, config);
            FLINK.cluster().submit(env, InventorySyncJob.NAME);
            awaitInSync(config);
            workload.applyChanges(300);
            // A change that breaks an invariant: a dead letter written over SASL_SSL.
            source.execute(
                    "UPDATE stock SET quantity = -3 WHERE product_id = 'P000001'"
                            + " AND warehouse_id = 'W01'");
            List<ConsumerRecord<byte[], byte[]>> deadLetters = awaitRecords(dlq, 1);
            source.execute(
                    "UPDATE stock SET quantity = 3 WHERE product_id = 'P000001'"
                            + " AND warehouse_id = 'W01'");
            awaitInSync(config);
            assertNoSecretIn(deadLetters);
        }
        assertFailsFastWithoutLeaking(plain, true);
    }

    /**
     * A wrong password and a missing trust store fail when the job is built (the pre-flight read of
     * the brokers' limits), saying what to fix, instead of a job that retries forever.
     */
    private void assertFailsFastWithoutLeaking(Configuration plain, boolean inventory)
            throws Exception {
        String wrong = "wrong-" + UUID.randomUUID();
        Configuration wrongPassword =
                inventory
                        ? InventorySyncJob.loadConfig(args(plain), env(wrong))
                        : FraudDetectionJob.loadConfig(args(plain), env(wrong));
        assertThatThrownBy(() -> build(wrongPassword, inventory))
                .hasMessageContaining("refused the credentials of user '" + USER + "'")
                .hasMessageContaining("kafka.sasl.password")
                .hasMessageNotContaining(wrong);

        Map<String, String> options = securedOptions(plain);
        options.remove("kafka.ssl.truststore.location");
        options.remove("kafka.ssl.truststore.password");
        Configuration noTrustStore =
                inventory
                        ? InventorySyncJob.loadConfig(args(options), env(PASSWORD))
                        : FraudDetectionJob.loadConfig(args(options), env(PASSWORD));
        assertThatThrownBy(() -> build(noTrustStore, inventory))
                .hasMessageContaining("TLS handshake")
                .hasMessageContaining("kafka.ssl.truststore.location");

        String ofThisTest = logSince(logOffset);
        assertThat(ofThisTest)
                .as("the Kafka clients logged their configuration (the scan saw it)")
                .contains("sasl.jaas.config");
        assertThat(ofThisTest)
                .doesNotContain(PASSWORD)
                .doesNotContain(wrong)
                .as("the trust store's password (random, made with the CA)")
                .doesNotContain(broker.truststorePassword());
    }

    private void build(Configuration config, boolean inventory) throws Exception {
        StreamExecutionEnvironment env = FLINK.cluster().environment(1);
        if (inventory) {
            InventorySyncJob.build(env, config);
        } else {
            FraudDetectionJob.build(env, config);
        }
    }

    /** A config file with the job's options over SASL_SSL; the trust store password in a file. */
    private String[] args(Configuration plain) throws Exception {
        return args(securedOptions(plain));
    }

    private String[] args(Map<String, String> options) throws Exception {
        Path file = Files.createTempFile(secrets, "job-", ".properties");
        StringBuilder text = new StringBuilder();
        options.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
        return new String[] {"--config", file.toString()};
    }

    private Map<String, String> securedOptions(Configuration plain) throws Exception {
        Path trustStorePassword = secrets.resolve("truststore-password");
        Files.writeString(trustStorePassword, broker.truststorePassword(), StandardCharsets.UTF_8);
        Map<String, String> options = new LinkedHashMap<>(plain.toMap());
        options.put("kafka.bootstrap-servers", broker.saslSslBootstrapServers());
        options.put("kafka.security.protocol", "SASL_SSL");
        options.put("kafka.sasl.mechanism", "SCRAM_SHA_512");
        options.put("kafka.sasl.username", USER);
        options.put("kafka.ssl.truststore.location", broker.truststore().toString());
        options.put("kafka.ssl.truststore.password", "file:" + trustStorePassword);
        // Secrets never go in the file's plain text: the test passes them separately.
        options.keySet().removeIf(key -> key.endsWith(".password") && !key.contains("truststore"));
        return options;
    }

    private static Map<String, String> env(String kafkaPassword) {
        return Map.of("PIPELINEKIT_KAFKA_SASL_PASSWORD", kafkaPassword);
    }

    private static List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topic, int count)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            records = broker.readCommitted(topic);
            if (records.size() >= count) {
                return records;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(
                "Expected " + count + " records in " + topic + ", found " + records.size());
    }

    private void assertNoSecretIn(List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            if (record.key() != null) {
                bytes.write(record.key());
            }
            if (record.value() != null) {
                bytes.write(record.value());
            }
            for (Header header : record.headers()) {
                bytes.write(header.key().getBytes(StandardCharsets.UTF_8));
                if (header.value() != null) {
                    bytes.write(header.value());
                }
            }
            assertThat(bytes.toString(StandardCharsets.UTF_8))
                    .as("dead letter at offset %d", record.offset())
                    .doesNotContain(PASSWORD)
                    .doesNotContain(broker.truststorePassword());
        }
    }

    private static void awaitInSync(Configuration config) throws Exception {
        ReconciliationReport report =
                Reconciler.fromConfig(config).awaitInSync(Duration.ofMinutes(3));
        assertThat(report.inSync()).as(report.toString()).isTrue();
    }

    /** What the test JVM logged to target/test.log since {@code offset}. */
    private static String logSince(long offset) throws Exception {
        try (SeekableByteChannel channel = Files.newByteChannel(TEST_LOG)) {
            channel.position(Math.min(offset, channel.size()));
            return new String(
                    Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static long logSize() throws Exception {
        return Files.exists(TEST_LOG) ? Files.size(TEST_LOG) : 0;
    }
}
