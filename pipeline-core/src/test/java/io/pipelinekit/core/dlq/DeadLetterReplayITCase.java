package io.pipelinekit.core.dlq;

import io.pipelinekit.core.dlq.DeadLetterReplay.ReplayReport;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.inventory.StockLevel;
import io.pipelinekit.testkit.Ports;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Round trip: records dead-lettered while the registry was unreachable are replayed to their source
 * topic once it is back, and processed; a rerun replays nothing twice; letters at the maximum
 * attempts are left alone and reported.
 */
class DeadLetterReplayITCase {

    private static final int RECORDS = 20;

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @Test
    void deadLettersRoundTripBackIntoProcessingAfterTheCauseIsFixed() throws Exception {
        String topic = KAFKA.service().createUniqueTopic("levels", 2);
        String dlq = KAFKA.service().createUniqueTopic("levels-dlq", 1);
        Configuration registry = registryAt(REGISTRY.registry().url());
        SerializationSchema<StockLevel> serializer =
                ConfluentAvro.serializer(StockLevel.class, topic, registry);
        serializer.open(null);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                ("p" + i).getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(SampleRecords.stockLevel("p" + i, i, i + 1))));
            }
        }

        // 1. The registry is unreachable for the job: every record becomes a dead letter.
        Map<TopicPartition, Long> start =
                Map.of(new TopicPartition(topic, 0), 0L, new TopicPartition(topic, 1), 0L);
        DecodingTestJob<StockLevel> first =
                run(topic, start, registryAt("http://127.0.0.1:" + Ports.unused()), dlq);
        assertThat(first.processed.values()).isEmpty();
        assertThat(first.deadLetters.values())
                .hasSize(RECORDS)
                .allSatisfy(l -> assertThat(l.getAttempt()).isEqualTo(1));

        // 2. The cause is fixed; replay the registry failures to the source topic.
        Map<TopicPartition, Long> afterOriginals = endOffsets(topic);
        ReplayReport report = DeadLetterReplay.run(replayConfig(dlq));
        assertThat(report.count("replayed")).isEqualTo(RECORDS);

        // 3. The replayed records are processed, with the original bytes.
        DecodingTestJob<StockLevel> second = run(topic, afterOriginals, registry, null);
        assertThat(second.deadLetters.values()).isEmpty();
        assertThat(second.processed.values())
                .containsExactlyInAnyOrderElementsOf(
                        java.util.stream.IntStream.range(0, RECORDS)
                                .mapToObj(i -> "p" + i)
                                .collect(Collectors.toList()));

        // 4. Running the replay again replays nothing twice.
        assertThat(DeadLetterReplay.run(replayConfig(dlq)).total()).isZero();
        // The source topic holds each record twice (original + one replay), never three times.
        assertThat(KAFKA.service().readCommitted(topic)).hasSize(2 * RECORDS);
    }

    @Test
    void lettersAtMaximumAttemptsAndFilteredOnesAreLeftAlone() throws Exception {
        String dlq = KAFKA.service().createUniqueTopic("exhausted-dlq", 1);
        String source = KAFKA.service().createUniqueTopic("exhausted-source", 1);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            producer.send(
                            new ProducerRecord<>(
                                    dlq,
                                    DeadLetterCodec.encode(letter(source, "NEGATIVE_STOCK", 3))))
                    .get();
            producer.send(
                            new ProducerRecord<>(
                                    dlq,
                                    DeadLetterCodec.encode(letter(source, "NEGATIVE_STOCK", 1))))
                    .get();
            producer.send(
                            new ProducerRecord<>(
                                    dlq,
                                    DeadLetterCodec.encode(letter(source, "UNKNOWN_SCHEMA_ID", 1))))
                    .get();
            // An operator's input, not source bytes: never written back to a source topic.
            DeadLetter input = letter(source, "NEGATIVE_STOCK", 1);
            input.setPayloadEncoding("avro:io.pipelinekit.schemas.inventory.StockLevel");
            input.setSource(null);
            producer.send(new ProducerRecord<>(dlq, DeadLetterCodec.encode(input))).get();
        }
        Configuration config = replayConfig(dlq);
        config.removeConfig(ReplayOptions.GROUP_ID);
        config.set(ReplayOptions.REASON, "NEGATIVE_STOCK");

        ReplayReport report = DeadLetterReplay.run(config);

        assertThat(report.count("replayed")).isEqualTo(1);
        assertThat(report.count("left alone: max attempts")).isEqualTo(1);
        assertThat(report.count("left alone: not source bytes")).as(report.format()).isEqualTo(1);
        assertThat(report.count("filtered out")).isEqualTo(1);

        // Another filter keeps its own progress: it still sees the letter the first one skipped.
        config.set(ReplayOptions.REASON, "UNKNOWN_SCHEMA_ID");
        assertThat(DeadLetterReplay.run(config).count("replayed")).isEqualTo(1);
        assertThat(report.format()).contains("left alone: max attempts").contains("total");
        assertThat(KAFKA.service().readCommitted(source))
                .hasSize(2)
                .first()
                .satisfies(
                        r ->
                                assertThat(
                                                new String(
                                                        r.headers()
                                                                .lastHeader(
                                                                        DeadLetterReplay
                                                                                .ATTEMPT_HEADER)
                                                                .value(),
                                                        StandardCharsets.UTF_8))
                                        .isEqualTo("1"));
    }

    private static DecodingTestJob<StockLevel> run(
            String topic, Map<TopicPartition, Long> from, Configuration registry, String dlq)
            throws Exception {
        return DecodingTestJob.run(
                FLINK.cluster(),
                KAFKA.bootstrapServers(),
                topic,
                OffsetsInitializer.offsets(from),
                ConfluentAvro.deserializer(StockLevel.class, registry),
                DeadLetterPolicy.builder("replay-test").build(),
                StockLevel::getProductId,
                dlq);
    }

    private static Map<TopicPartition, Long> endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = KAFKA.service().consumer(true)) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .collect(Collectors.toList());
            return new HashMap<>(consumer.endOffsets(partitions));
        }
    }

    private static Configuration replayConfig(String dlq) {
        Configuration config = new Configuration();
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        config.set(ReplayOptions.DLQ_TOPIC, dlq);
        config.set(ReplayOptions.GROUP_ID, "replay-" + dlq);
        return config;
    }

    private static Configuration registryAt(String url) {
        Configuration config = new Configuration();
        config.set(SchemaRegistryOptions.URL, url);
        config.set(SchemaRegistryOptions.MAX_ATTEMPTS, 2);
        config.set(SchemaRegistryOptions.INITIAL_BACKOFF, Duration.ofMillis(10));
        return config;
    }

    private static DeadLetter letter(String sourceTopic, String reason, int attempt) {
        return DeadLetter.newBuilder()
                .setId(java.util.UUID.randomUUID())
                .setStage(io.pipelinekit.schemas.dlq.FailureStage.VALIDATE)
                .setReason(reason)
                .setKey(java.nio.ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)))
                .setValue(
                        java.nio.ByteBuffer.wrap(("v-" + attempt).getBytes(StandardCharsets.UTF_8)))
                .setSource(
                        io.pipelinekit.schemas.dlq.KafkaSource.newBuilder()
                                .setTopic(sourceTopic)
                                .setPartition(0)
                                .setOffset(attempt)
                                .setTimestamp(Instant.now())
                                .build())
                .setOperatorUid("validate")
                .setJobName("test")
                .setAttempt(attempt)
                .setFailedAt(Instant.now())
                .build();
    }
}
