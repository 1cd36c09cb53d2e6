package ${package};

import static org.assertj.core.api.Assertions.assertThat;

import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.StandaloneFlinkCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * MerchantTotalsJob end to end on real Kafka, schema registry and PostgreSQL: on a MiniCluster, and
 * as the shaded jar on a standalone Flink cluster (what {@code flink run} gets).
 */
class MerchantTotalsJobITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    private static final Instant MINUTE = Instant.parse("2026-01-01T00:00:00Z");

    /** The rows the test payments must produce: 10 and 20 payments of 12.50 in one minute. */
    private static final List<String> EXPECTED_TOTALS =
            List.of(
                    "m-a " + MINUTE + " 10 125.0000 (version 10)",
                    "m-b " + MINUTE + " 20 250.0000 (version 20)");

    /** Stage and reason of each dead letter the bad and the late payment must produce. */
    private static final List<String> EXPECTED_DEAD_LETTERS =
            List.of(
                    "DESERIALIZE/WRONG_MAGIC_BYTE",
                    "PROCESS/LATE_RECORD",
                    "VALIDATE/NON_POSITIVE_AMOUNT");

    @TempDir Path work;
    private String input;
    private String dlq;

    @BeforeEach
    void createTopicsAndTable() throws Exception {
        input = KAFKA.service().createUniqueTopic("payments", 2);
        dlq = KAFKA.service().createUniqueTopic("payments-dlq", 1);
        POSTGRES.database()
                .execute(
                        new String(
                                getClass()
                                        .getResourceAsStream("/merchant_minute_totals.sql")
                                        .readAllBytes(),
                                StandardCharsets.UTF_8),
                        "TRUNCATE merchant_minute_totals");
    }

    @Test
    void totalsReachPostgresAndBadPaymentsTheDeadLetterQueue() throws Exception {
        Map<String, String> options = options(FLINK.cluster().checkpointDirectory());
        Configuration config = load(options);
        produceTestPayments(config);

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        MerchantTotalsJob.build(env, config);
        FLINK.cluster().submit(env, "merchant-totals");
        try {
            assertThat(awaitTotals()).isEqualTo(EXPECTED_TOTALS);
            produceLatePayment(config);
            assertThat(deadLetters()).isEqualTo(EXPECTED_DEAD_LETTERS);
            assertThat(totals()).as("a late payment changes no total").isEqualTo(EXPECTED_TOTALS);
        } finally {
            FLINK.cluster().cancelAllJobs(Duration.ofSeconds(30));
        }
    }

    @Test
    void theShadedJarRunsOnAStandaloneCluster() throws Exception {
        Path jar = Paths.get(System.getProperty("job.jar"));
        assertThat(jar).exists();
        Map<String, String> options = options(work.resolve("checkpoints").toUri().toString());
        Configuration config = load(options);
        produceTestPayments(config);
        Path configFile = work.resolve("merchant-totals.yaml");
        StringBuilder yaml = new StringBuilder();
        options.forEach(
                (key, value) -> yaml.append(key).append(": \"").append(value).append("\"\n"));
        Files.writeString(configFile, yaml);

        try (StandaloneFlinkCluster flink =
                StandaloneFlinkCluster.builder()
                        .taskSlots(4)
                        .config("parallelism.default", "2")
                        .build()
                        .start()) {
            String job =
                    flink.runJar(
                            flink.uploadJar(jar),
                            MerchantTotalsJob.class.getName(),
                            List.of("--config", configFile.toString()),
                            null);
            flink.awaitRunning(job, Duration.ofMinutes(2));
            assertThat(awaitTotals())
                    .as("cluster logs:%n%s", flink.logTail(40))
                    .isEqualTo(EXPECTED_TOTALS);
            produceLatePayment(config);
            assertThat(deadLetters()).isEqualTo(EXPECTED_DEAD_LETTERS);
            flink.cancel(job);
        }
    }

    /** The job's configuration, as a file or command line would give it. */
    private Map<String, String> options(String checkpoints) {
        return Map.of(
                "kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "kafka.source.group-id",
                "merchant-totals",
                "schema-registry.url",
                REGISTRY.registry().url(),
                "checkpoint.storage",
                checkpoints,
                "checkpoint.interval",
                "1 s",
                "dlq.topic",
                dlq,
                "payments.topic",
                input,
                "sink.postgres.url",
                POSTGRES.database().jdbcUrl(),
                "sink.postgres.username",
                POSTGRES.database().username(),
                "sink.postgres.password",
                POSTGRES.database().password());
    }

    /** The configuration main() would load; secrets come from the environment, as they must. */
    private static Configuration load(Map<String, String> options) {
        List<String> args = new ArrayList<>();
        Map<String, String> environment = new HashMap<>();
        options.forEach(
                (key, value) -> {
                    if (PipelineConfig.isSecret(key)) {
                        environment.put(PipelineConfig.environmentVariable(key), value);
                    } else {
                        args.add("--" + key + "=" + value);
                    }
                });
        return PipelineConfig.loader()
                .options(MerchantTotalsJob.class)
                .coreOptions()
                .environment(environment)
                .args(args.toArray(new String[0]))
                .load()
                .configuration();
    }

    /** 30 good payments in one minute, two bad ones, then a payment per partition a minute on. */
    private void produceTestPayments(Configuration config) throws Exception {
        SerializationSchema<PaymentTransaction> serializer = serializer(config);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (int i = 0; i < 30; i++) {
                PaymentTransaction payment =
                        SampleRecords.payment(
                                i % 3 == 0 ? "m-a" : "m-b",
                                new BigDecimal("12.50"),
                                MINUTE.plusSeconds(i));
                producer.send(
                        new ProducerRecord<>(input, i % 2, null, serializer.serialize(payment)));
            }
            PaymentTransaction refund =
                    SampleRecords.payment("m-a", new BigDecimal("-1.00"), MINUTE.plusSeconds(40));
            producer.send(new ProducerRecord<>(input, 0, null, serializer.serialize(refund)));
            producer.send(
                    new ProducerRecord<>(
                            input, 1, null, "not a payment".getBytes(StandardCharsets.UTF_8)));
            for (int partition = 0; partition < 2; partition++) {
                PaymentTransaction later =
                        SampleRecords.payment("m-c", BigDecimal.ONE, MINUTE.plusSeconds(120));
                producer.send(
                        new ProducerRecord<>(input, partition, null, serializer.serialize(later)));
            }
        }
    }

    /** A payment for the first minute, after its window fired (watermark at 115 s). */
    private void produceLatePayment(Configuration config) throws Exception {
        SerializationSchema<PaymentTransaction> serializer = serializer(config);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            PaymentTransaction late =
                    SampleRecords.payment("m-a", new BigDecimal("99.00"), MINUTE.plusSeconds(10));
            producer.send(new ProducerRecord<>(input, 0, null, serializer.serialize(late)));
        }
    }

    /** Payments in the registry wire format, as the team's producers write them. */
    private SerializationSchema<PaymentTransaction> serializer(Configuration config)
            throws Exception {
        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(PaymentTransaction.class, input, config);
        serializer.open(null);
        return serializer;
    }

    private List<String> awaitTotals() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        List<String> rows = totals();
        while (rows.size() < EXPECTED_TOTALS.size() && System.nanoTime() < deadline) {
            Thread.sleep(500);
            rows = totals();
        }
        return rows;
    }

    private List<String> totals() throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection connection = POSTGRES.database().connect();
                Statement statement = connection.createStatement();
                ResultSet r =
                        statement.executeQuery(
                                "SELECT merchant_id, window_start, payments, amount, version"
                                        + " FROM merchant_minute_totals ORDER BY merchant_id")) {
            while (r.next()) {
                rows.add(
                        r.getString(1)
                                + " "
                                + r.getTimestamp(2).toInstant()
                                + " "
                                + r.getLong(3)
                                + " "
                                + r.getBigDecimal(4).toPlainString()
                                + " (version "
                                + r.getLong(5)
                                + ")");
            }
        }
        return rows;
    }

    /** Stage and reason of each dead letter (sorted), once all expected ones arrived. */
    private List<String> deadLetters() throws Exception {
        List<String> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record :
                KAFKA.service()
                        .readCommitted(dlq, EXPECTED_DEAD_LETTERS.size(), Duration.ofMinutes(1))) {
            var letter = DeadLetterCodec.decode(record.value());
            letters.add(letter.getStage() + "/" + letter.getReason());
        }
        Collections.sort(letters);
        return letters;
    }
}
