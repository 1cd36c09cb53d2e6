package io.pipelinekit.testkit.kafka;

import io.pipelinekit.testkit.junit5.KafkaExtension;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recorded positions come back as padded topics on a broker that never had them. */
class TopicPositionsITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void recreatesPlainAndTransactionalPartitionsAtTheirPositions() throws Exception {
        KafkaService kafka = KAFKA.service();
        String original = kafka.createUniqueTopic("positions", 4);
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer(Map.of())) {
            for (int i = 0; i < 7; i++) {
                producer.send(new ProducerRecord<>(original, i % 2 * 2, null, new byte[] {1}));
            }
        }
        try (KafkaProducer<byte[], byte[]> producer =
                kafka.transactionalProducer("positions-" + original)) {
            // Partition 1: 3 committed records and the marker; partition 3: 2 committed, then 2
            // aborted records and their marker.
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(original, 1, null, new byte[] {2}));
            }
            for (int i = 0; i < 2; i++) {
                producer.send(new ProducerRecord<>(original, 3, null, new byte[] {3}));
            }
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 2; i++) {
                producer.send(new ProducerRecord<>(original, 3, null, new byte[] {4}));
            }
            producer.flush();
            producer.abortTransaction();
        }
        Map<String, String> recorded = TopicPositions.record(kafka, original);
        assertThat(recorded)
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                TopicPositions.PREFIX + original, "4,4,3,6",
                                TopicPositions.RESUME_PREFIX + original, "4,3,3,2"));

        // The same positions under another name, as a fresh broker would get them.
        String copy = original + "-copy";
        TopicPositions.recreate(
                kafka,
                Map.of(
                        TopicPositions.PREFIX + copy,
                        "4,4,3,6",
                        TopicPositions.RESUME_PREFIX + copy,
                        "4,3,3,2",
                        "x",
                        "y"));

        assertThat(TopicPositions.record(kafka, copy))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                TopicPositions.PREFIX + copy, "4,4,3,6",
                                TopicPositions.RESUME_PREFIX + copy, "4,3,3,2"));
        List<ConsumerRecord<byte[], byte[]>> padding = kafka.readCommitted(copy);
        assertThat(padding)
                .hasSize(4 + 3 + 3 + 2)
                .allSatisfy(r -> assertThat(r.value()).isEqualTo(TopicPositions.PADDING));

        // Without resume offsets (a plain topic's facts) a partition resumes at its end.
        String plain = original + "-plain";
        TopicPositions.recreate(kafka, Map.of(TopicPositions.PREFIX + plain, "2,0"));
        assertThat(TopicPositions.record(kafka, plain))
                .containsEntry(TopicPositions.RESUME_PREFIX + plain, "2,0");
        assertThatThrownBy(() -> TopicPositions.recreate(kafka, Map.of("x", "y")))
                .hasMessageContaining("No recorded topic");
    }
}
