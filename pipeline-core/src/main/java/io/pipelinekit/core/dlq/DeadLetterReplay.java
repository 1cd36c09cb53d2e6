package io.pipelinekit.core.dlq;

import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.kafka.KafkaFactories;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.Header;
import io.pipelinekit.schemas.dlq.KafkaSource;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Replays dead letters: reads a DLQ topic, filters by stage, reason and time, and writes each
 * letter's original key, value and headers back to its source topic (or a chosen one) with an
 * {@value #ATTEMPT_HEADER} header, so that a letter that fails again records the next attempt.
 * Letters that reached the maximum attempts are left alone and reported.
 *
 * <p>Replay is a Kafka transaction per batch that also commits the consumer group's position: an
 * interrupted replay loses nothing and repeats nothing; run it again to continue. The DLQ topic
 * itself is never modified.
 *
 * <pre>
 * java -cp pipeline-jobs.jar io.pipelinekit.core.dlq.DeadLetterReplay \
 *     --kafka.bootstrap-servers kafka:9092 --replay.dlq-topic inventory-sync.dlq \
 *     --replay.reason REGISTRY_UNAVAILABLE --replay.from 2026-11-22T03:00:00Z
 * </pre>
 */
@PublicEvolving
public final class DeadLetterReplay {

    /** Header carrying how many times a replayed record failed before. */
    public static final String ATTEMPT_HEADER = "pipelinekit.dlq.attempt";

    private DeadLetterReplay() {}

    public static void main(String[] args) throws Exception {
        PipelineConfig config =
                PipelineConfig.loader()
                        .options(KafkaOptions.class, ReplayOptions.class)
                        .require(KafkaOptions.BOOTSTRAP_SERVERS, ReplayOptions.DLQ_TOPIC)
                        .args(args)
                        .load();
        ReplayReport report = run(config.configuration());
        System.out.println(report.format());
    }

    /** Replays up to the end of the DLQ as of the start of the run. */
    public static ReplayReport run(ReadableConfig config) throws IOException {
        String dlqTopic =
                config.getOptional(ReplayOptions.DLQ_TOPIC)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "Set " + ReplayOptions.DLQ_TOPIC.key()));
        Filter filter = new Filter(config);
        int maxAttempts = config.get(ReplayOptions.MAX_ATTEMPTS);
        boolean dryRun = config.get(ReplayOptions.DRY_RUN);
        String target = config.get(ReplayOptions.TARGET_TOPIC);
        ReplayReport report = new ReplayReport(dryRun);

        Properties consumerProperties = KafkaFactories.clientProperties(config);
        String group =
                config.getOptional(ReplayOptions.GROUP_ID).orElse(defaultGroup(dlqTopic, config));
        consumerProperties.put("group.id", group);
        consumerProperties.put("enable.auto.commit", "false");
        consumerProperties.put("auto.offset.reset", "earliest");
        consumerProperties.put("isolation.level", "read_committed");
        Properties producerProperties = KafkaFactories.clientProperties(config);
        // A fixed id per group: a second run of the same replay fences the first, and a crashed
        // run's open transaction is aborted instead of blocking the group's offsets.
        producerProperties.put("transactional.id", "pipelinekit-dlq-replay." + group);
        producerProperties.put("enable.idempotence", "true");

        try (KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                consumerProperties,
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer());
                KafkaProducer<byte[], byte[]> producer =
                        dryRun
                                ? null
                                : new KafkaProducer<>(
                                        producerProperties,
                                        new ByteArraySerializer(),
                                        new ByteArraySerializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(dlqTopic, Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .collect(Collectors.toList());
            if (partitions.isEmpty()) {
                throw new IllegalArgumentException("The DLQ topic " + dlqTopic + " does not exist");
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            if (producer != null) {
                producer.initTransactions();
            }
            while (!reachedEnd(consumer, end)) {
                Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
                List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition partition =
                            new TopicPartition(record.topic(), record.partition());
                    if (record.offset() >= end.getOrDefault(partition, Long.MAX_VALUE)) {
                        // Arrived after the run started: left for the next run (offset not
                        // committed).
                        continue;
                    }
                    positions.put(partition, new OffsetAndMetadata(record.offset() + 1));
                    DeadLetter letter;
                    try {
                        letter = DeadLetterCodec.decode(record.value());
                    } catch (IOException | RuntimeException e) {
                        report.count("undecodable", "offset " + record.offset());
                        continue;
                    }
                    if (!filter.matches(letter)) {
                        report.count("filtered out", letter.getStage() + "/" + letter.getReason());
                    } else if (!io.pipelinekit.core.dlq.internal.DeadLetterFactory.SOURCE_BYTES
                                    .equals(letter.getPayloadEncoding())
                            || letter.getValue() == null && letter.getKey() == null) {
                        // An operator's input (Avro without its header, or JSON with masked
                        // fields), not the bytes a source would deliver.
                        report.count(
                                "left alone: not source bytes",
                                letter.getStage() + "/" + letter.getReason());
                    } else if (letter.getAttempt() >= maxAttempts) {
                        report.count("left alone: max attempts", DeadLetterSink.keyOf(letter));
                    } else {
                        String topic = target != null ? target : sourceTopic(letter);
                        if (topic == null) {
                            report.count(
                                    "left alone: no source topic", DeadLetterSink.keyOf(letter));
                        } else {
                            batch.add(replayRecord(letter, topic));
                            report.count("replayed", letter.getStage() + "/" + letter.getReason());
                        }
                    }
                }
                if (producer != null && !positions.isEmpty()) {
                    producer.beginTransaction();
                    batch.forEach(producer::send);
                    producer.sendOffsetsToTransaction(positions, consumer.groupMetadata());
                    producer.commitTransaction();
                }
                if (report.total() > 0 && report.total() % 10_000 == 0) {
                    System.err.println("replay: " + report.total() + " dead letters read");
                }
            }
        }
        return report;
    }

    /**
     * Progress is kept per DLQ topic and filter: a replay with another filter, or a higher maximum
     * of attempts, starts from the beginning of the DLQ instead of skipping what an earlier filter
     * passed over.
     */
    static String defaultGroup(String dlqTopic, ReadableConfig config) {
        return String.join(
                ".",
                ReplayOptions.GROUP_ID.defaultValue(),
                dlqTopic,
                String.valueOf(config.get(ReplayOptions.STAGE)),
                String.valueOf(config.get(ReplayOptions.REASON)),
                String.valueOf(config.get(ReplayOptions.FROM)),
                String.valueOf(config.get(ReplayOptions.TO)),
                "max" + config.get(ReplayOptions.MAX_ATTEMPTS));
    }

    private static boolean reachedEnd(
            KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (e.getValue() > 0 && consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static String sourceTopic(DeadLetter letter) {
        return letter.getSource() instanceof KafkaSource
                ? ((KafkaSource) letter.getSource()).getTopic()
                : null;
    }

    private static ProducerRecord<byte[], byte[]> replayRecord(DeadLetter letter, String topic) {
        List<org.apache.kafka.common.header.Header> headers = new ArrayList<>();
        if (letter.getSource() instanceof KafkaSource) {
            for (Header header : ((KafkaSource) letter.getSource()).getHeaders()) {
                if (!header.getKey().equals(ATTEMPT_HEADER)) {
                    headers.add(new RecordHeader(header.getKey(), bytes(header.getValue())));
                }
            }
        }
        headers.add(
                new RecordHeader(
                        ATTEMPT_HEADER,
                        Integer.toString(letter.getAttempt()).getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(
                topic, null, null, bytes(letter.getKey()), bytes(letter.getValue()), headers);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }

    private static final class Filter {
        final io.pipelinekit.schemas.dlq.FailureStage stage;
        final String reason;
        final Instant from;
        final Instant to;

        Filter(ReadableConfig config) {
            this.stage = config.get(ReplayOptions.STAGE);
            this.reason = config.get(ReplayOptions.REASON);
            this.from = parse(config.get(ReplayOptions.FROM), ReplayOptions.FROM.key());
            this.to = parse(config.get(ReplayOptions.TO), ReplayOptions.TO.key());
        }

        boolean matches(DeadLetter letter) {
            return (stage == null || stage == letter.getStage())
                    && (reason == null || reason.equals(letter.getReason()))
                    && (from == null || !letter.getFailedAt().isBefore(from))
                    && (to == null || letter.getFailedAt().isBefore(to));
        }

        private static Instant parse(String value, String key) {
            if (value == null) {
                return null;
            }
            try {
                return Instant.parse(value);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        key
                                + " must be an ISO-8601 instant such as 2026-11-22T03:00:00Z, was '"
                                + value
                                + "'");
            }
        }
    }

    /** What a replay run did, by outcome and by stage/reason. */
    @PublicEvolving
    public static final class ReplayReport {
        private final boolean dryRun;
        private final Map<String, Map<String, Integer>> counts = new TreeMap<>();

        ReplayReport(boolean dryRun) {
            this.dryRun = dryRun;
        }

        void count(String outcome, String detail) {
            counts.computeIfAbsent(outcome, o -> new TreeMap<>()).merge(detail, 1, Integer::sum);
        }

        /**
         * Number of dead letters with this outcome ("replayed", "left alone: max attempts", ...).
         */
        public int count(String outcome) {
            return counts.getOrDefault(outcome, Map.of()).values().stream()
                    .mapToInt(Integer::intValue)
                    .sum();
        }

        public int total() {
            return counts.values().stream()
                    .flatMap(m -> m.values().stream())
                    .mapToInt(Integer::intValue)
                    .sum();
        }

        /** A readable table. */
        public String format() {
            StringBuilder out =
                    new StringBuilder(
                            "Dead-letter replay"
                                    + (dryRun ? " (dry run: nothing written)" : "")
                                    + "\n");
            out.append(
                    String.format(
                            "  %-30s  %-50s  %8s%n", "outcome", "stage/reason or key", "count"));
            counts.forEach(
                    (outcome, details) -> {
                        int shown = 0;
                        for (Map.Entry<String, Integer> e : details.entrySet()) {
                            if (shown++ == 20) {
                                out.append(
                                        String.format(
                                                "  %-30s  %-50s  %8s%n",
                                                outcome,
                                                "... " + (details.size() - 20) + " more",
                                                ""));
                                break;
                            }
                            out.append(
                                    String.format(
                                            "  %-30s  %-50s  %8d%n",
                                            outcome, e.getKey(), e.getValue()));
                        }
                    });
            out.append(String.format("  %-30s  %-50s  %8d%n", "total", "", total()));
            return out.toString();
        }
    }
}
