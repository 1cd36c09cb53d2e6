package io.pipelinekit.testkit.kafka;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * The end offsets of a job's input topics, recorded next to a savepoint and rebuilt on a fresh
 * broker before the savepoint is restored: Kafka source splits hold topic names and offsets, and a
 * restored source resumes at those offsets on whatever broker it finds.
 *
 * <p>{@link #recreate} creates each recorded topic with its partitions and fills every partition up
 * to the recorded offset with {@link #PADDING}, bytes no deserializer accepts. A job restored at
 * its savepoint offsets never reads them; one that resumes anywhere before (lost or ignored source
 * state) dead-letters or fails on them, so the restore test sees it. Records produced after the
 * padding are what the restored job reads next.
 *
 * <pre>{@code
 * Map<String, String> facts = TopicPositions.record(kafka, "payments", "rules"); // with the savepoint
 * TopicPositions.recreate(freshKafka, facts);                                   // before restoring
 * }</pre>
 */
@PublicEvolving
public final class TopicPositions {

    /** The fact key prefix: {@code kafka.end-offsets.<topic>=<offset of partition 0>,<1>,...}. */
    public static final String PREFIX = "kafka.end-offsets.";

    /** What fills a recreated partition up to the recorded offset. */
    public static final byte[] PADDING =
            "savepoint-fixture-padding: read only by a source that resumed before its savepoint"
                    .getBytes(StandardCharsets.UTF_8);

    private TopicPositions() {}

    /** The end offset of every partition of {@code topics}, as fixture facts. */
    public static Map<String, String> record(KafkaService kafka, String... topics)
            throws ExecutionException, InterruptedException {
        Map<String, String> facts = new TreeMap<>();
        try (Admin admin = kafka.admin()) {
            Map<String, TopicDescription> descriptions =
                    admin.describeTopics(Arrays.asList(topics)).allTopicNames().get();
            for (String topic : topics) {
                int partitions = descriptions.get(topic).partitions().size();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                var ends = admin.listOffsets(latest).all().get();
                List<String> offsets = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    offsets.add(Long.toString(ends.get(new TopicPartition(topic, p)).offset()));
                }
                facts.put(PREFIX + topic, String.join(",", offsets));
            }
        }
        return facts;
    }

    /** The recorded end offsets per topic (partition i at index i) among {@code facts}. */
    public static Map<String, long[]> endOffsets(Map<String, String> facts) {
        Map<String, long[]> offsets = new TreeMap<>();
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            if (fact.getKey().startsWith(PREFIX)) {
                offsets.put(
                        fact.getKey().substring(PREFIX.length()),
                        Arrays.stream(fact.getValue().split(","))
                                .mapToLong(Long::parseLong)
                                .toArray());
            }
        }
        return offsets;
    }

    /**
     * Creates every topic recorded in {@code facts} with its partitions and pads each partition
     * with {@link #PADDING} up to the recorded end offset. The topics must not exist yet.
     */
    public static void recreate(KafkaService kafka, Map<String, String> facts) throws Exception {
        Map<String, long[]> offsets = endOffsets(facts);
        if (offsets.isEmpty()) {
            throw new IllegalArgumentException(
                    "No recorded topic among the facts (keys " + PREFIX + "<topic>)");
        }
        kafka.createTopics(
                offsets.entrySet().stream()
                        .map(e -> new NewTopic(e.getKey(), e.getValue().length, (short) 1))
                        .toArray(NewTopic[]::new));
        // Without idempotence and with one request in flight: one send, one offset, no retries
        // that could leave a gap or a duplicate.
        try (KafkaProducer<byte[], byte[]> producer =
                kafka.producer(
                        Map.of(
                                "enable.idempotence", false,
                                "max.in.flight.requests.per.connection", 1,
                                "retries", 0))) {
            for (Map.Entry<String, long[]> topic : offsets.entrySet()) {
                for (int p = 0; p < topic.getValue().length; p++) {
                    for (long o = 0; o < topic.getValue()[p]; o++) {
                        producer.send(new ProducerRecord<>(topic.getKey(), p, null, PADDING));
                    }
                }
            }
            producer.flush();
        }
        Map<String, String> reached = record(kafka, offsets.keySet().toArray(String[]::new));
        Map<String, String> wanted =
                offsets.entrySet().stream()
                        .collect(
                                Collectors.toMap(
                                        e -> PREFIX + e.getKey(),
                                        e ->
                                                Arrays.stream(e.getValue())
                                                        .mapToObj(Long::toString)
                                                        .collect(Collectors.joining(",")),
                                        (a, b) -> a,
                                        TreeMap::new));
        if (!reached.equals(wanted)) {
            throw new IllegalStateException(
                    "Padding did not reach the recorded offsets: " + reached + " vs " + wanted);
        }
    }
}
