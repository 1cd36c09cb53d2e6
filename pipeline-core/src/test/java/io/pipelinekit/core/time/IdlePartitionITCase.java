package io.pipelinekit.core.time;

import io.pipelinekit.testkit.flink.CollectingSink;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An empty Kafka partition holds back event time for the whole job; with the preset's idleness the
 * windows fire anyway. The source is unbounded, so only the watermark can fire them.
 */
class IdlePartitionITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @Test
    void idlenessUnstallsWindowsWhenAPartitionIsEmpty() throws Exception {
        String topic = KAFKA.service().createUniqueTopic("events", 2);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            // Ten events per second of event time for five seconds, all on partition 0.
            for (long ts = 0; ts < 5_000; ts += 100) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                0,
                                ts,
                                null,
                                Long.toString(ts).getBytes(StandardCharsets.UTF_8)));
            }
        }

        CollectingSink<Long> windowCounts = CollectingSink.create();
        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        env.getConfig().setAutoWatermarkInterval(100);
        env.fromSource(
                        KafkaSource.<String>builder()
                                .setBootstrapServers(KAFKA.bootstrapServers())
                                .setTopics(topic)
                                .setGroupId("idle-partition")
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .setValueOnlyDeserializer(new SimpleStringSchema())
                                .build(),
                        EventTimeWatermarks.<String>builder()
                                .timestamp((value, previous) -> Long.parseLong(value))
                                .idleness(Duration.ofSeconds(1))
                                .build(),
                        "events")
                .uid("events")
                .keyBy(value -> "all", Types.STRING)
                .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
                .aggregate(new Count(), Types.LONG, Types.LONG)
                .uid("count-per-second")
                .name("count-per-second")
                .sinkTo(windowCounts)
                .uid("collect")
                .name("collect");
        FLINK.cluster().submit(env, "idle-partition");

        // The watermark reaches 4 s - 1 ms, so windows [0,1) .. [3,4) fire; [4,5) stays open.
        List<Long> counts = windowCounts.awaitCount(4, Duration.ofMinutes(1));
        assertThat(counts).startsWith(10L, 10L, 10L, 10L);
    }

    private static final class Count implements AggregateFunction<String, Long, Long> {
        @Override
        public Long createAccumulator() {
            return 0L;
        }

        @Override
        public Long add(String value, Long accumulator) {
            return accumulator + 1;
        }

        @Override
        public Long getResult(Long accumulator) {
            return accumulator;
        }

        @Override
        public Long merge(Long a, Long b) {
            return a + b;
        }
    }
}
