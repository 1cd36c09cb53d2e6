package io.pipelinekit.core.kafka;

import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.testkit.flink.FailOnceAfterCheckpoint;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.SequenceSource;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exactly-once and upsert Kafka sinks against a real broker on a MiniCluster: a failure after a
 * completed checkpoint leaves every record exactly once for read_committed readers, without
 * lingering transactions blocking them; an upsert topic folds to the latest value per key.
 */
class KafkaSinksITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @TempDir static Path tempDir;

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @Test
    void afterAFailureReadCommittedConsumersSeeEveryRecordExactlyOnce() throws Exception {
        int records = 20_000;
        String topic = KAFKA.service().createUniqueTopic("eos", 3);
        String injector = "eos-" + System.nanoTime();
        CheckpointSettings checkpoints =
                CheckpointSettings.builder(CheckpointPreset.LOW_LATENCY)
                        .storage(checkpointStorage())
                        .interval(Duration.ofMillis(500))
                        .build();
        KafkaSink<Long> sink =
                ExactlyOnceKafkaSink.<Long>builder()
                        .kafkaProperties(properties())
                        .transactionalIdPrefix("eos-it-" + System.nanoTime())
                        .checkpointSettings(checkpoints)
                        // Long enough that a transaction left open by the failed attempt would
                        // block read_committed readers for the whole test if it was not aborted.
                        .transactionTimeout(Duration.ofMinutes(10))
                        .fetchBrokerMaxTransactionTimeout()
                        .serializer(new NumberSerializer(topic))
                        .build();

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        checkpoints.applyTo(env);
        env.fromSource(SequenceSource.upTo(records, 2), WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers")
                .map(new Throttle())
                .uid("throttle")
                .name("throttle")
                .map(FailOnceAfterCheckpoint.<Long>after(injector, records / 4))
                .returns(Types.LONG)
                .uid("fail-once")
                .name("fail-once")
                .sinkTo(sink)
                .uid("eos-sink")
                .name("eos-sink");
        JobID id = FLINK.cluster().submit(env, "eos-sink").getJobID();
        try {
            List<ConsumerRecord<byte[], byte[]>> read =
                    KAFKA.service().readCommitted(topic, records, Duration.ofSeconds(120));
            assertThat(FailOnceAfterCheckpoint.failures(injector)).isEqualTo(1);
            assertThat(values(read))
                    .isEqualTo(LongStream.range(0, records).boxed().collect(Collectors.toList()));
            // A few more checkpoints: nothing else may become visible.
            FLINK.cluster().triggerCheckpoint(id, Duration.ofSeconds(60));
            FLINK.cluster().triggerCheckpoint(id, Duration.ofSeconds(60));
            assertThat(KAFKA.service().readCommitted(topic)).hasSize(records);
        } finally {
            FLINK.cluster().cancel(id, Duration.ofSeconds(30));
        }
    }

    @Test
    void anUpsertTopicFoldsToTheLatestValuePerKeyWithTombstonesForDeletes() throws Exception {
        String topic = "levels-" + System.nanoTime();
        KAFKA.service()
                .createTopics(
                        new NewTopic(topic, 2, (short) 1)
                                .configs(Map.of("cleanup.policy", "compact")));
        // key k = n % 50; version n; multiples of 7 are deletes
        KafkaSink<Long> sink =
                UpsertKafkaSink.<Long>builder()
                        .kafkaProperties(properties())
                        .topic(topic)
                        .key(n -> "k" + (n % 50))
                        .value(n -> Long.toString(n).getBytes(StandardCharsets.UTF_8))
                        .version(n -> n)
                        .deleteWhen(n -> n % 7 == 0)
                        .build();
        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        List<Long> input = LongStream.range(0, 1000).boxed().collect(Collectors.toList());
        env.fromData(input, Types.LONG)
                .uid("input")
                .name("input")
                .keyBy(n -> n % 50, Types.LONG)
                .map(n -> n, Types.LONG)
                .uid("by-key")
                .name("by-key")
                .sinkTo(sink)
                .uid("upsert-sink")
                .name("upsert-sink");
        FLINK.cluster().submit(env, "upsert").getJobExecutionResult().get();

        Map<String, String> folded = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> record : KAFKA.service().readCommitted(topic)) {
            String key = new String(record.key(), StandardCharsets.UTF_8);
            assertThat(record.headers().lastHeader(UpsertKafkaSink.VERSION_HEADER)).isNotNull();
            if (record.value() == null) {
                folded.remove(key);
            } else {
                folded.put(key, new String(record.value(), StandardCharsets.UTF_8));
            }
        }
        Map<String, String> expected = new TreeMap<>();
        for (long n = 950; n < 1000; n++) {
            if (n % 7 != 0) {
                expected.put("k" + (n % 50), Long.toString(n));
            }
        }
        assertThat(folded).isEqualTo(expected);
    }

    @Test
    void misconfiguredSinksFailAtBuildTimeWithWhatToChange() {
        String plain = KAFKA.service().createUniqueTopic("not-compacted", 1);
        assertThatThrownBy(
                        () ->
                                UpsertKafkaSink.<Long>builder()
                                        .kafkaProperties(properties())
                                        .topic(plain)
                                        .key(n -> "k")
                                        .value(n -> new byte[0])
                                        .build())
                .hasMessageContaining("cleanup.policy=delete")
                .hasMessageContaining("--add-config cleanup.policy=compact");
        assertThatThrownBy(
                        () ->
                                ExactlyOnceKafkaSink.<Long>builder()
                                        .kafkaProperties(properties())
                                        .transactionalIdPrefix("too-long")
                                        .checkpointSettings(
                                                CheckpointSettings.builder(
                                                                CheckpointPreset.LOW_LATENCY)
                                                        .storage(checkpointStorage())
                                                        .build())
                                        .transactionTimeout(Duration.ofHours(2))
                                        .fetchBrokerMaxTransactionTimeout()
                                        .serializer(new NumberSerializer("t"))
                                        .build())
                .hasMessageContaining("transaction.timeout.ms=7200000")
                .hasMessageContaining("transaction.max.timeout.ms=3600000");
    }

    private static List<Long> values(List<ConsumerRecord<byte[], byte[]>> records) {
        List<Long> values = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            values.add(Long.parseLong(new String(record.value(), StandardCharsets.UTF_8)));
        }
        values.sort(Long::compare);
        return values;
    }

    private static String checkpointStorage() {
        return tempDir.toUri().toString();
    }

    private static Properties properties() {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", KAFKA.service().bootstrapServers());
        return properties;
    }

    /** Numbers as UTF-8 text, keyed by themselves. */
    private static final class NumberSerializer implements KafkaRecordSerializationSchema<Long> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        NumberSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                Long n, KafkaSinkContext context, Long timestamp) {
            byte[] bytes = Long.toString(n).getBytes(StandardCharsets.UTF_8);
            return new ProducerRecord<>(topic, bytes, bytes);
        }
    }

    /** Slows the numbers down so that checkpoints and the failure happen mid-stream. */
    private static final class Throttle implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private transient int count;

        @Override
        public Long map(Long value) throws InterruptedException {
            if (++count % 200 == 0) {
                Thread.sleep(20);
            }
            return value;
        }
    }
}
