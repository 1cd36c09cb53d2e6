package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of malformed records on inventory-sync's changelog input (the sync side), mixed into
 * good changes: wire format damage and changes that break the stock invariants. Every bad record
 * ends in the dead-letter topic exactly once with its stage and reason, the target table holds
 * exactly what the good changes say, and no record restarts the job.
 */
class InventoryBadInputITCase {

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();
    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    private static final List<String> WAREHOUSES = List.of("W01", "W02", "W03");

    private record BadInput(String kind, FailureStage stage, String reason, String marker) {}

    @Test
    void everyBadChangeIsDeadLetteredWithItsReasonAndTheTargetHoldsTheGoodOnes() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String changelog = "corpus-changes-" + run;
        String dlq = "corpus-dlq-" + run;
        KAFKA.service()
                .createTopics(
                        new NewTopic(changelog, 2, (short) 1), new NewTopic(dlq, 1, (short) 1));
        PostgresDatabase target = POSTGRES.database();
        Configuration config = new Configuration();
        config.setString("kafka.bootstrap-servers", KAFKA.service().bootstrapServers());
        config.setString("kafka.source.group-id", "corpus-" + run);
        config.setString("schema-registry.url", REGISTRY.registry().url());
        config.setString("checkpoint.storage", FLINK.cluster().checkpointDirectory());
        config.setString("checkpoint.interval", "1 s");
        config.setString("dlq.topic", dlq);
        config.setString("sink.buffer.max-time", "100 ms");
        config.set(InventorySyncOptions.MODE, InventorySyncOptions.Mode.SYNC);
        config.set(InventorySyncOptions.SYNC_STARTUP, InventorySyncOptions.SyncStartup.EARLIEST);
        config.set(InventorySyncOptions.SLOT_NAME, "corpus_" + run);
        config.set(InventorySyncOptions.CHANGELOG_TOPIC, changelog);
        config.set(InventorySyncOptions.TARGET_URL, target.jdbcUrl());
        config.set(InventorySyncOptions.TARGET_USERNAME, target.username());
        config.set(InventorySyncOptions.TARGET_PASSWORD, target.password());
        config.set(InventorySyncOptions.STOCK_LEVELS_TOPIC, "");
        config.set(InventorySyncOptions.RECONCILE_INTERVAL, Duration.ZERO);
        config.set(InventorySyncOptions.KNOWN_WAREHOUSES, WAREHOUSES);
        config.set(InventorySyncOptions.MAX_JUMP, 10_000L);

        SerializationSchema<InventoryChangeEvent> serializer =
                ConfluentAvro.serializer(InventoryChangeEvent.class, changelog, config);
        serializer.open(null);
        List<BadInput> corpus = new ArrayList<>();
        Map<String, Long> expected = new TreeMap<>();
        long lsn = 1_000;
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            // Good changes: 40 products in three warehouses, then updates of some of them.
            for (int p = 0; p < 40; p++) {
                for (String warehouse : WAREHOUSES) {
                    long quantity = (p * 7L + warehouse.hashCode()) % 500;
                    send(
                            producer,
                            changelog,
                            serializer,
                            SampleRecords.stockChange(
                                    "P" + p,
                                    warehouse,
                                    ChangeOperation.INSERT,
                                    null,
                                    quantity,
                                    lsn++));
                    expected.put("P" + p + "/" + warehouse, quantity);
                }
            }
            for (int p = 0; p < 40; p += 3) {
                long before = expected.get("P" + p + "/W01");
                send(
                        producer,
                        changelog,
                        serializer,
                        SampleRecords.stockChange(
                                "P" + p, "W01", ChangeOperation.UPDATE, before, before + 5, lsn++));
                expected.put("P" + p + "/W01", before + 5);
            }
            // Changes that break the invariants: rejected by the stock-levels step.
            Object[][] invalid = {
                {"unknown-warehouse", "W99", ChangeOperation.INSERT, null, 5L, "UNKNOWN_WAREHOUSE"},
                {"negative-stock", "W01", ChangeOperation.INSERT, null, -5L, "NEGATIVE_STOCK"},
                {"impossible-jump", "W02", ChangeOperation.UPDATE, 10L, 90_000L, "IMPOSSIBLE_JUMP"},
                {"missing-quantity", "W03", ChangeOperation.INSERT, null, null, "MISSING_QUANTITY"},
            };
            for (Object[] c : invalid) {
                String product = "corpus-" + c[0];
                send(
                        producer,
                        changelog,
                        serializer,
                        SampleRecords.stockChange(
                                product,
                                (String) c[1],
                                (ChangeOperation) c[2],
                                (Long) c[3],
                                (Long) c[4],
                                lsn++));
                corpus.add(
                        new BadInput((String) c[0], FailureStage.VALIDATE, (String) c[5], product));
            }
            // Records the deserializer cannot read: rejected at the source.
            byte[] valid =
                    serializer.serialize(
                            SampleRecords.stockChange(
                                    "valid", "W01", ChangeOperation.INSERT, null, 1L, lsn));
            Object[][] damaged = {
                {"empty-value", new byte[0], "TRUNCATED_HEADER"},
                {
                    "wrong-magic-byte",
                    concat(new byte[] {7}, Arrays.copyOfRange(valid, 1, valid.length)),
                    "WRONG_MAGIC_BYTE"
                },
                {
                    "unknown-schema-id",
                    concat(
                            new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7f},
                            Arrays.copyOfRange(valid, 5, valid.length)),
                    "UNKNOWN_SCHEMA_ID"
                },
                {
                    "truncated-body",
                    Arrays.copyOf(valid, 5 + (valid.length - 5) / 2),
                    "TRUNCATED_PAYLOAD"
                },
                {"tombstone", null, "NULL_VALUE"},
            };
            for (Object[] c : damaged) {
                String marker = "corpus-" + c[0];
                producer.send(
                                new ProducerRecord<>(
                                        changelog,
                                        marker.getBytes(StandardCharsets.UTF_8),
                                        (byte[]) c[1]))
                        .get();
                corpus.add(
                        new BadInput(
                                (String) c[0], FailureStage.DESERIALIZE, (String) c[2], marker));
            }
        }

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        InventorySyncJob.build(env, config);
        JobID job = FLINK.cluster().submit(env, "inventory-sync-corpus").getJobID();
        try {
            awaitTable(target, expected);
            List<DeadLetter> letters = awaitDeadLetters(dlq, corpus.size());
            List<String> problems = new ArrayList<>();
            for (BadInput bad : corpus) {
                List<DeadLetter> matching = new ArrayList<>();
                for (DeadLetter letter : letters) {
                    if (contains(letter.getKey(), bad.marker)
                            || contains(letter.getValue(), bad.marker)) {
                        matching.add(letter);
                    }
                }
                if (matching.size() != 1) {
                    problems.add(bad.kind + ": " + matching.size() + " dead letters");
                } else if (matching.get(0).getStage() != bad.stage
                        || !matching.get(0).getReason().equals(bad.reason)) {
                    problems.add(
                            bad.kind
                                    + ": expected "
                                    + bad.stage
                                    + "/"
                                    + bad.reason
                                    + ", was "
                                    + matching.get(0).getStage()
                                    + "/"
                                    + matching.get(0).getReason());
                }
            }
            assertThat(problems).as("bad changes not dead-lettered as expected").isEmpty();
            assertThat(letters).as("dead letters, one per bad change").hasSameSizeAs(corpus);
            assertThat(FLINK.cluster().restarts(job)).as("restarts caused by data").isZero();
            System.out.printf(
                    "inventory-sync bad input: %d kinds dead-lettered, %d rows as expected,"
                            + " 0 restarts%n",
                    corpus.size(), expected.size());
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            SerializationSchema<InventoryChangeEvent> serializer,
            InventoryChangeEvent change)
            throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                topic,
                                InventorySyncJob.changeKey(change),
                                serializer.serialize(change)))
                .get();
    }

    private static void awaitTable(PostgresDatabase target, Map<String, Long> expected)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        Map<String, Long> actual = Map.of();
        while (System.nanoTime() < deadline) {
            actual = new TreeMap<>();
            try (Connection connection = target.connect();
                    Statement statement = connection.createStatement();
                    ResultSet rows =
                            statement.executeQuery(
                                    "SELECT product_id || '/' || warehouse_id, quantity"
                                            + " FROM stock_levels")) {
                while (rows.next()) {
                    actual.put(rows.getString(1), rows.getLong(2));
                }
            } catch (java.sql.SQLException tableNotThereYet) {
                // created by the job
            }
            if (actual.equals(expected)) {
                return;
            }
            Thread.sleep(500);
        }
        assertThat(actual).isEqualTo(expected);
    }

    private static List<DeadLetter> awaitDeadLetters(String dlq, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        List<DeadLetter> letters = new ArrayList<>();
        int stable = 0;
        while (System.nanoTime() < deadline && stable < 3) {
            List<DeadLetter> read = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : KAFKA.service().readCommitted(dlq)) {
                read.add(DeadLetterCodec.decode(record.value()));
            }
            stable = read.size() >= expected && read.size() == letters.size() ? stable + 1 : 0;
            letters = read;
            Thread.sleep(1000);
        }
        return letters;
    }

    private static boolean contains(ByteBuffer buffer, String marker) {
        if (buffer == null) {
            return false;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1).contains(marker);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
