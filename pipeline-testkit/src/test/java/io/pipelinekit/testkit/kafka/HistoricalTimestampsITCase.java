package io.pipelinekit.testkit.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records stamped with event times from long ago survive the broker's retention checks, so tests
 * that replay historical data do not lose records mid-test.
 */
class HistoricalTimestampsITCase {

    @Test
    void recordsWithOldTimestampsSurviveRetentionChecks() throws Exception {
        // By default the first check runs 30 s after start, then every 5 minutes: a long test
        // run loses such records at some point. Here checks start at once and run every 200 ms.
        try (EmbeddedKafkaBroker kafka =
                EmbeddedKafkaBroker.builder()
                        .brokerProperty("log.initial.task.delay.ms", "0")
                        .brokerProperty("log.retention.check.interval.ms", "200")
                        .build()
                        .start()) {
            String topic = kafka.createUniqueTopic("history", 2);
            // The control: a topic with its own 1 s retention, which the checks do empty.
            String control = "control-" + topic;
            kafka.createTopics(
                    new NewTopic(control, 1, (short) 1).configs(Map.of("retention.ms", "1000")));
            long january = Instant.parse("2020-01-15T10:00:00Z").toEpochMilli();
            try (KafkaProducer<byte[], byte[]> producer = kafka.producer(Map.of())) {
                for (int i = 0; i < 100; i++) {
                    byte[] value = ("event-" + i).getBytes(StandardCharsets.UTF_8);
                    producer.send(new ProducerRecord<>(topic, i % 2, january + i, null, value))
                            .get();
                    producer.send(new ProducerRecord<>(control, 0, january + i, null, value)).get();
                }
            }
            awaitDeleted(kafka, new TopicPartition(control, 0));

            List<ConsumerRecord<byte[], byte[]>> records = kafka.readCommitted(topic);
            assertThat(records).hasSize(100);
            assertThat(records)
                    .allSatisfy(r -> assertThat(r.timestamp()).isLessThan(january + 100));
        }
    }

    /** Waits until a retention check deleted the partition's records (its log start moved). */
    private static void awaitDeleted(KafkaService kafka, TopicPartition partition)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = kafka.admin()) {
            while (System.nanoTime() < deadline) {
                long start =
                        admin.listOffsets(Map.of(partition, OffsetSpec.earliest()))
                                .partitionResult(partition)
                                .get()
                                .offset();
                if (start > 0) {
                    return;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("No retention check deleted " + partition + " within 60 s");
    }
}
