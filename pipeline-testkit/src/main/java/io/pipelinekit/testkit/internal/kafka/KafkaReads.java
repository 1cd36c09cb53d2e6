package io.pipelinekit.testkit.internal.kafka;

import io.pipelinekit.testkit.kafka.KafkaService;

import org.apache.flink.annotation.Internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Reading helpers behind {@link KafkaService}'s default methods. */
@Internal
public final class KafkaReads {
    private KafkaReads() {}

    public static List<ConsumerRecord<byte[], byte[]>> readToEnd(
            KafkaService kafka, String topic, boolean readCommitted, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = kafka.consumer(readCommitted)) {
            List<TopicPartition> partitions = assignAll(consumer, topic, timeout);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "Could not read "
                                    + topic
                                    + " to its end offsets "
                                    + end
                                    + " within "
                                    + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(
            KafkaService kafka, String topic, int expected, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = kafka.consumer(true)) {
            assignAll(consumer, topic, timeout);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < expected) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "Expected at least "
                                    + expected
                                    + " committed records on "
                                    + topic
                                    + " within "
                                    + timeout
                                    + " but read "
                                    + records.size());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    private static List<TopicPartition> assignAll(
            KafkaConsumer<byte[], byte[]> consumer, String topic, Duration timeout) {
        List<TopicPartition> partitions =
                consumer.partitionsFor(topic, timeout).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .collect(Collectors.toList());
        if (partitions.isEmpty()) {
            throw new IllegalStateException("Topic " + topic + " does not exist");
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return partitions;
    }

    private static boolean reached(
            KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
