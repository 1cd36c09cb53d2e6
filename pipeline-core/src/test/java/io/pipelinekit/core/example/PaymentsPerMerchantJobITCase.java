package io.pipelinekit.core.example;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The docs' example job, run end to end on the embedded services. */
class PaymentsPerMerchantJobITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @Test
    void countsPerMerchantAndMinuteWithBadInputDeadLettered() throws Exception {
        String input = KAFKA.service().createUniqueTopic("payments", 2);
        String output = KAFKA.service().createUniqueTopic("per-merchant", 1);
        String dlq = KAFKA.service().createUniqueTopic("payments-dlq", 1);
        PipelineConfig config =
                PipelineConfig.loader()
                        .options(
                                PaymentsPerMerchantJob.JobOptions.class,
                                KafkaOptions.class,
                                SchemaRegistryOptions.class,
                                CheckpointOptions.class,
                                DeadLetterOptions.class)
                        .environment(Map.of())
                        .args(
                                "--kafka.bootstrap-servers",
                                KAFKA.bootstrapServers(),
                                "--kafka.source.group-id",
                                "example",
                                // At least once here: an exactly-once run once saw no committed
                                // output within 2 min on CI (not reproduced locally; see
                                // KafkaSecurityITCase for exactly-once through the factories).
                                "--kafka.sink.delivery-guarantee",
                                "at-least-once",
                                "--schema-registry.url",
                                REGISTRY.registry().url(),
                                "--checkpoint.storage",
                                FLINK.cluster().checkpointDirectory(),
                                "--checkpoint.interval",
                                "1 s",
                                "--dlq.topic",
                                dlq,
                                "--payments.input-topic",
                                input,
                                "--payments.output-topic",
                                output)
                        .load();
        Configuration conf = config.configuration();

        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(PaymentTransaction.class, input, conf);
        serializer.open(null);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (int i = 0; i < 30; i++) {
                String merchant = i % 3 == 0 ? "m-a" : "m-b";
                producer.send(
                        record(
                                input,
                                serializer.serialize(
                                        SampleRecords.payment(
                                                merchant,
                                                new BigDecimal("12.50"),
                                                Instant.EPOCH.plusMillis(i * 1000L)))));
            }
            producer.send(
                    record(
                            input,
                            serializer.serialize(
                                    SampleRecords.payment(
                                            "m-a",
                                            new BigDecimal("-1.00"),
                                            Instant.EPOCH.plusMillis(40_000L)))));
            producer.send(record(input, "not a payment".getBytes(StandardCharsets.UTF_8)));
            // Moves event time past the first minute on both partitions.
            producer.send(
                    new ProducerRecord<>(
                            input,
                            0,
                            null,
                            serializer.serialize(
                                    SampleRecords.payment(
                                            "m-a",
                                            new BigDecimal("1.00"),
                                            Instant.EPOCH.plusMillis(120_000L)))));
            producer.send(
                    new ProducerRecord<>(
                            input,
                            1,
                            null,
                            serializer.serialize(
                                    SampleRecords.payment(
                                            "m-b",
                                            new BigDecimal("1.00"),
                                            Instant.EPOCH.plusMillis(120_000L)))));
        }

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        PaymentsPerMerchantJob.build(env, conf);
        FLINK.cluster().submit(env, "payments-per-merchant");

        List<String> counts;
        try {
            counts =
                    KAFKA.service().readCommitted(output, 2, Duration.ofMinutes(2)).stream()
                            .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                            .collect(Collectors.toList());
        } catch (AssertionError e) {
            // Tell a window that never fired from a transaction that never committed.
            throw new AssertionError(
                    e.getMessage()
                            + "; uncommitted records on the output: "
                            + KAFKA.service().readUncommitted(output).size()
                            + ", dead letters: "
                            + KAFKA.service().readCommitted(dlq).size(),
                    e);
        }
        assertThat(counts)
                .containsExactlyInAnyOrder(
                        "m-a," + Instant.EPOCH + ",10", "m-b," + Instant.EPOCH + ",20");

        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KAFKA.service().readCommitted(dlq, 2, Duration.ofMinutes(1))) {
            letters.add(DeadLetterCodec.decode(r.value()));
        }
        assertThat(letters)
                .extracting(l -> l.getStage() + "/" + l.getReason())
                .containsExactlyInAnyOrder(
                        FailureStage.VALIDATE + "/NON_POSITIVE_AMOUNT",
                        FailureStage.DESERIALIZE + "/WRONG_MAGIC_BYTE");
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, byte[] value) {
        return new ProducerRecord<>(topic, null, value);
    }
}
