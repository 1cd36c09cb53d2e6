package io.pipelinekit.testkit.kafka;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * The positions of a job's input topics, recorded next to a savepoint and rebuilt on a fresh broker
 * before the savepoint is restored: Kafka source splits hold topic names and offsets, and a
 * restored source resumes at those offsets on whatever broker it finds.
 *
 * <p>Per partition two offsets are recorded: the end offset, and the resume offset, just after the
 * last record a {@code read_committed} consumer sees, where a source that read everything stands.
 * The two differ on topics written in transactions (a commit marker, or an aborted transaction, at
 * the end).
 *
 * <p>{@link #recreate} creates each recorded topic with its partitions and fills every partition up
 * to the resume offset with {@link #PADDING}, bytes no deserializer accepts, and from there to the
 * end offset with what no {@code read_committed} consumer sees (a commit marker, an aborted
 * transaction). A job restored at its savepoint offsets never reads the padding; one that resumes
 * anywhere before (lost or ignored source state) dead-letters or fails on it, so the restore test
 * sees it. Records produced afterwards are what the restored job reads next.
 *
 * <pre>{@code
 * Map<String, String> facts = TopicPositions.record(kafka, "payments", "rules"); // with the savepoint
 * TopicPositions.recreate(freshKafka, facts);                                   // before restoring
 * }</pre>
 */
@PublicEvolving
public final class TopicPositions {

    /** The fact key prefix: {@code kafka.end-offsets.<topic>=<end of partition 0>,<1>,...}. */
    public static final String PREFIX = "kafka.end-offsets.";

    /**
     * The fact key prefix of resume offsets ({@code kafka.resume-offsets.<topic>=...}); where it is
     * missing a partition resumes at its end.
     */
    public static final String RESUME_PREFIX = "kafka.resume-offsets.";

    /** What fills a recreated partition up to the resume offset. */
    public static final byte[] PADDING =
            "savepoint-fixture-padding: read only by a source that resumed before its savepoint"
                    .getBytes(StandardCharsets.UTF_8);

    private TopicPositions() {}

    /** The end and resume offsets of every partition of {@code topics}, as fixture facts. */
    public static Map<String, String> record(KafkaService kafka, String... topics)
            throws ExecutionException, InterruptedException {
        Map<String, String> facts = new TreeMap<>();
        try (Admin admin = kafka.admin();
                KafkaConsumer<byte[], byte[]> consumer = kafka.consumer(true)) {
            Map<String, TopicDescription> descriptions =
                    admin.describeTopics(Arrays.asList(topics)).allTopicNames().get();
            for (String topic : topics) {
                int partitions = descriptions.get(topic).partitions().size();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                var ends = admin.listOffsets(latest).all().get();
                List<String> endOffsets = new ArrayList<>();
                List<String> resumeOffsets = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    TopicPartition partition = new TopicPartition(topic, p);
                    long end = ends.get(partition).offset();
                    endOffsets.add(Long.toString(end));
                    resumeOffsets.add(Long.toString(resumeOffset(consumer, partition, end)));
                }
                facts.put(PREFIX + topic, String.join(",", endOffsets));
                facts.put(RESUME_PREFIX + topic, String.join(",", resumeOffsets));
            }
        }
        return facts;
    }

    /** Just after the last record of the partition a read_committed consumer sees (or 0). */
    private static long resumeOffset(
            KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, long end) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long resume = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (consumer.position(partition) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        partition + " has open transactions: cannot record its positions");
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                resume = record.offset() + 1;
            }
        }
        return resume;
    }

    /** The recorded end offsets per topic (partition i at index i) among {@code facts}. */
    public static Map<String, long[]> endOffsets(Map<String, String> facts) {
        return offsets(facts, PREFIX);
    }

    /** The recorded resume offsets per topic; a partition without one resumes at its end. */
    public static Map<String, long[]> resumeOffsets(Map<String, String> facts) {
        Map<String, long[]> resume = offsets(facts, RESUME_PREFIX);
        endOffsets(facts).forEach(resume::putIfAbsent);
        return resume;
    }

    private static Map<String, long[]> offsets(Map<String, String> facts, String prefix) {
        Map<String, long[]> offsets = new TreeMap<>();
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            if (fact.getKey().startsWith(prefix)) {
                offsets.put(
                        fact.getKey().substring(prefix.length()),
                        Arrays.stream(fact.getValue().split(","))
                                .mapToLong(Long::parseLong)
                                .toArray());
            }
        }
        return offsets;
    }

    /**
     * Creates every topic recorded in {@code facts} with its partitions: {@link #PADDING} up to
     * each partition's resume offset, then up to its end offset records no {@code read_committed}
     * consumer sees. The topics must not exist yet.
     */
    public static void recreate(KafkaService kafka, Map<String, String> facts) throws Exception {
        Map<String, long[]> ends = endOffsets(facts);
        Map<String, long[]> resumes = resumeOffsets(facts);
        if (ends.isEmpty()) {
            throw new IllegalArgumentException(
                    "No recorded topic among the facts (keys " + PREFIX + "<topic>)");
        }
        kafka.createTopics(
                ends.entrySet().stream()
                        .map(e -> new NewTopic(e.getKey(), e.getValue().length, (short) 1))
                        .toArray(NewTopic[]::new));
        // Without idempotence and with one request in flight: one send, one offset, no retries
        // that could leave a gap or a duplicate.
        try (KafkaProducer<byte[], byte[]> plain =
                        kafka.producer(
                                Map.of(
                                        "enable.idempotence", false,
                                        "max.in.flight.requests.per.connection", 1,
                                        "retries", 0));
                KafkaProducer<byte[], byte[]> transactional =
                        kafka.transactionalProducer("topic-positions-" + UUID.randomUUID())) {
            for (Map.Entry<String, long[]> topic : ends.entrySet()) {
                for (int p = 0; p < topic.getValue().length; p++) {
                    pad(
                            plain,
                            transactional,
                            new TopicPartition(topic.getKey(), p),
                            resumes.get(topic.getKey())[p],
                            topic.getValue()[p]);
                }
            }
        }
        awaitPositions(kafka, ends, resumes);
    }

    private static void pad(
            KafkaProducer<byte[], byte[]> plain,
            KafkaProducer<byte[], byte[]> transactional,
            TopicPartition partition,
            long resume,
            long end) {
        long invisible = end - resume;
        if (invisible < 0 || (invisible == 1 && resume == 0)) {
            throw new IllegalArgumentException(
                    "Cannot rebuild "
                            + partition
                            + " with resume offset "
                            + resume
                            + " and end offset "
                            + end);
        }
        if (invisible == 1) {
            // The padding in one committed transaction: its commit marker is the one offset.
            transactional.beginTransaction();
            send(transactional, partition, resume);
            transactional.commitTransaction();
            return;
        }
        send(plain, partition, resume);
        plain.flush();
        if (invisible > 1) {
            // An aborted transaction: its records and the abort marker.
            transactional.beginTransaction();
            send(transactional, partition, invisible - 1);
            // Written before the abort: unsent records of an aborted transaction are dropped.
            transactional.flush();
            transactional.abortTransaction();
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, TopicPartition partition, long count) {
        for (long i = 0; i < count; i++) {
            producer.send(
                    new ProducerRecord<>(partition.topic(), partition.partition(), null, PADDING));
        }
    }

    /** Waits until the markers are written and checks every partition's positions. */
    private static void awaitPositions(
            KafkaService kafka, Map<String, long[]> ends, Map<String, long[]> resumes)
            throws Exception {
        Map<String, String> wanted = new TreeMap<>();
        ends.forEach((topic, offsets) -> wanted.put(PREFIX + topic, join(offsets)));
        resumes.forEach((topic, offsets) -> wanted.put(RESUME_PREFIX + topic, join(offsets)));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Map<String, String> reached = record(kafka, ends.keySet().toArray(String[]::new));
            if (reached.equals(wanted)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "Padding did not reach the recorded offsets: " + reached + " vs " + wanted);
            }
            Thread.sleep(200);
        }
    }

    private static String join(long[] offsets) {
        return Arrays.stream(offsets).mapToObj(Long::toString).collect(Collectors.joining(","));
    }
}
