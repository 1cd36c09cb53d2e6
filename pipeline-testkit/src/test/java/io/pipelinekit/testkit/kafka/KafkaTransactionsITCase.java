package io.pipelinekit.testkit.kafka;

import io.pipelinekit.testkit.junit5.KafkaExtension;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Proves the embedded broker is a real Kafka with working transactions. */
class KafkaTransactionsITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void readCommittedSeesOnlyCommittedTransactions() throws Exception {
        KafkaService kafka = KAFKA.service();
        String topic = kafka.createUniqueTopic("tx", 3);

        try (KafkaProducer<byte[], byte[]> producer = kafka.transactionalProducer("tx-" + topic)) {
            producer.beginTransaction();
            send(producer, topic, "committed-1", "committed-2");
            producer.commitTransaction();

            producer.beginTransaction();
            send(producer, topic, "aborted-1", "aborted-2");
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            send(producer, topic, "committed-3");
            producer.commitTransaction();
        }

        assertThat(values(kafka.readCommitted(topic)))
                .containsExactlyInAnyOrder("committed-1", "committed-2", "committed-3");
        // The aborted records did reach the log: read_uncommitted sees them, read_committed not.
        assertThat(values(kafka.readUncommitted(topic)))
                .containsExactlyInAnyOrder(
                        "committed-1", "committed-2", "aborted-1", "aborted-2", "committed-3");
    }

    @Test
    void openTransactionIsInvisibleUntilCommitted() throws Exception {
        KafkaService kafka = KAFKA.service();
        String topic = kafka.createUniqueTopic("open-tx", 1);

        try (KafkaProducer<byte[], byte[]> producer = kafka.transactionalProducer("tx-" + topic)) {
            producer.beginTransaction();
            send(producer, topic, "pending");
            producer.flush();

            assertThat(kafka.readCommitted(topic)).isEmpty();
            assertThat(values(kafka.readUncommitted(topic))).containsExactly("pending");

            producer.commitTransaction();
        }
        assertThat(values(kafka.readCommitted(topic, 1, Duration.ofSeconds(30))))
                .containsExactly("pending");
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String... values)
            throws Exception {
        for (String value : values) {
            producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    value.getBytes(StandardCharsets.UTF_8),
                                    value.getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }
}
