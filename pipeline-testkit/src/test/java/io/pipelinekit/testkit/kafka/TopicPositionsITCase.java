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

/** Recorded end offsets come back as padded topics on a broker that never had them. */
class TopicPositionsITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void recreatesTopicsPaddedToTheRecordedOffsets() throws Exception {
        KafkaService kafka = KAFKA.service();
        String original = kafka.createUniqueTopic("positions", 3);
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer(Map.of())) {
            for (int i = 0; i < 7; i++) {
                producer.send(new ProducerRecord<>(original, i % 2 * 2, null, new byte[] {1}));
            }
        }
        Map<String, String> recorded = TopicPositions.record(kafka, original);
        assertThat(recorded).containsExactly(Map.entry(TopicPositions.PREFIX + original, "4,0,3"));

        // The same positions under another name, as a fresh broker would get them.
        String copy = original + "-copy";
        TopicPositions.recreate(kafka, Map.of(TopicPositions.PREFIX + copy, "4,0,3", "x", "y"));

        assertThat(TopicPositions.record(kafka, copy))
                .containsExactly(Map.entry(TopicPositions.PREFIX + copy, "4,0,3"));
        List<ConsumerRecord<byte[], byte[]>> padding = kafka.readCommitted(copy);
        assertThat(padding)
                .hasSize(7)
                .allSatisfy(r -> assertThat(r.value()).isEqualTo(TopicPositions.PADDING));
        assertThatThrownBy(() -> TopicPositions.recreate(kafka, Map.of("x", "y")))
                .hasMessageContaining("No recorded topic");
    }
}
