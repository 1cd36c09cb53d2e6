package io.pipelinekit.core.dlq;

import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.Ports;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A topic of good payments mixed with a corpus of bad records: every good record is processed,
 * every bad one is a DESERIALIZE dead letter with the right reason and its original bytes, and the
 * job never fails (restarts are disabled, so any failure would fail the test).
 */
class PoisonRecordsITCase {

    private static final int GOOD = 300;
    private static final int MAX_RECORD_BYTES = 16 * 1024;

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @Test
    void everyGoodRecordProcessedEveryBadOneDeadLettered() throws Exception {
        String topic = KAFKA.service().createUniqueTopic("payments", 2);
        Configuration registry = registryAt(REGISTRY.registry().url());
        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(PaymentTransaction.class, topic, registry);
        serializer.open(null);
        byte[] good = serializer.serialize(SampleRecords.payment(0));

        Map<String, byte[]> corpus = new LinkedHashMap<>();
        corpus.put("TRUNCATED_PAYLOAD", Arrays.copyOf(good, good.length - 3));
        corpus.put("TRUNCATED_HEADER", new byte[] {0, 0});
        corpus.put("WRONG_MAGIC_BYTE", Arrays.copyOfRange(good, 5, good.length));
        corpus.put(
                "UNKNOWN_SCHEMA_ID",
                ByteBuffer.allocate(good.length)
                        .put((byte) 0)
                        .putInt(9999)
                        .put(good, 5, good.length - 5)
                        .array());
        corpus.put(
                "WRONG_MAGIC_BYTE:text",
                "{\"transactionId\": \"not avro\"}".getBytes(StandardCharsets.UTF_8));
        corpus.put("NULL_VALUE", null);
        corpus.put("OVERSIZED", new byte[MAX_RECORD_BYTES + 1]);

        List<String> goodIds = new java.util.ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                KAFKA.service().producer(Map.of("max.request.size", 1_048_576))) {
            int bad = 0;
            List<Map.Entry<String, byte[]>> poison = List.copyOf(corpus.entrySet());
            for (int i = 0; i < GOOD; i++) {
                PaymentTransaction t = SampleRecords.payment(i);
                goodIds.add(t.getTransactionId().toString());
                producer.send(
                        new ProducerRecord<>(topic, key(t.getCardId()), serializer.serialize(t)));
                if (i % 40 == 0 && bad < poison.size()) {
                    producer.send(
                            new ProducerRecord<>(
                                    topic, key("poison-" + bad), poison.get(bad).getValue()));
                    bad++;
                }
            }
        }

        String dlqTopic = KAFKA.service().createUniqueTopic("payments-dlq", 1);
        DecodingTestJob<PaymentTransaction> result = run(topic, registry, dlqTopic);

        assertThat(result.processed.values()).containsExactlyInAnyOrderElementsOf(goodIds);
        // The DLQ topic holds the same dead letters, keyed by source coordinates, with headers.
        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> dlq =
                KAFKA.service().readCommitted(dlqTopic);
        assertThat(dlq).hasSize(corpus.size());
        for (org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record : dlq) {
            DeadLetter decoded = DeadLetterCodec.decode(record.value());
            assertThat(result.deadLetters.values()).contains(decoded);
            io.pipelinekit.schemas.dlq.KafkaSource source =
                    (io.pipelinekit.schemas.dlq.KafkaSource) decoded.getSource();
            assertThat(new String(record.key(), StandardCharsets.UTF_8))
                    .isEqualTo(topic + "-" + source.getPartition() + "@" + source.getOffset());
            assertThat(
                            new String(
                                    record.headers()
                                            .lastHeader(DeadLetterSink.REASON_HEADER)
                                            .value(),
                                    StandardCharsets.UTF_8))
                    .isEqualTo(decoded.getReason());
        }
        List<DeadLetter> letters = result.deadLetters.values();
        assertThat(letters)
                .extracting(DeadLetter::getReason)
                .containsExactlyInAnyOrder(
                        corpus.keySet().stream().map(r -> r.split(":")[0]).toArray(String[]::new));
        assertThat(letters)
                .allSatisfy(
                        letter -> {
                            assertThat(letter.getStage()).isEqualTo(FailureStage.DESERIALIZE);
                            assertThat(letter.getOperatorUid()).isEqualTo("source");
                            String poisonKey =
                                    new String(letter.getKey().array(), StandardCharsets.UTF_8);
                            byte[] sent =
                                    new java.util.ArrayList<>(corpus.values())
                                            .get(
                                                    Integer.parseInt(
                                                            poisonKey.substring(
                                                                    "poison-".length())));
                            // The original bytes exactly as received, never re-serialized.
                            assertThat(
                                            letter.getValue() == null
                                                    ? null
                                                    : toArray(letter.getValue()))
                                    .isEqualTo(sent);
                        });
    }

    @Test
    void unreachableRegistryDeadLettersInsteadOfFailing() throws Exception {
        String topic = KAFKA.service().createUniqueTopic("payments-no-registry", 1);
        Configuration registry = registryAt(REGISTRY.registry().url());
        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(PaymentTransaction.class, topic, registry);
        serializer.open(null);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (int i = 0; i < 5; i++) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                key("k" + i),
                                serializer.serialize(SampleRecords.payment(i))));
            }
        }
        Configuration unreachable = registryAt("http://127.0.0.1:" + Ports.unused());
        unreachable.set(SchemaRegistryOptions.MAX_ATTEMPTS, 2);

        DecodingTestJob<PaymentTransaction> result = run(topic, unreachable, null);

        assertThat(result.processed.values()).isEmpty();
        assertThat(result.deadLetters.values())
                .hasSize(5)
                .allSatisfy(l -> assertThat(l.getReason()).isEqualTo("REGISTRY_UNAVAILABLE"))
                .allSatisfy(l -> assertThat(l.getErrorMessage()).contains("failed 2 times"));
    }

    private static DecodingTestJob<PaymentTransaction> run(
            String topic, Configuration registry, String dlqTopic) throws Exception {
        return DecodingTestJob.run(
                FLINK.cluster(),
                KAFKA.bootstrapServers(),
                topic,
                OffsetsInitializer.earliest(),
                ConfluentAvro.deserializer(PaymentTransaction.class, registry),
                DeadLetterPolicy.builder("poison-test").maxRecordBytes(MAX_RECORD_BYTES).build(),
                t -> t.getTransactionId().toString(),
                dlqTopic);
    }

    private static Configuration registryAt(String url) {
        Configuration config = new Configuration();
        config.set(SchemaRegistryOptions.URL, url);
        config.set(SchemaRegistryOptions.INITIAL_BACKOFF, Duration.ofMillis(10));
        return config;
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] toArray(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
