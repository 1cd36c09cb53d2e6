package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.testkit.flink.CollectingSink;
import io.pipelinekit.testkit.flink.FlinkTestCluster;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;

/**
 * The dead-letter tests' job: a bounded Kafka source with the DLQ deserializer, the split, an id
 * per processed record and every dead letter collected, optionally also on a DLQ topic. Restarts
 * are off, so any failure fails the test.
 */
final class DecodingTestJob<T> {

    final CollectingSink<String> processed = CollectingSink.create();
    final CollectingSink<DeadLetter> deadLetters = CollectingSink.create();

    static <T> DecodingTestJob<T> run(
            FlinkTestCluster flink,
            String bootstrapServers,
            String topic,
            OffsetsInitializer startingOffsets,
            DeserializationSchema<T> deserializer,
            DeadLetterPolicy policy,
            MapFunction<T, String> id,
            String dlqTopic)
            throws Exception {
        Configuration job = new Configuration();
        job.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = flink.environment(2, job);
        KafkaSource<Either<DeadLetter, T>> source =
                KafkaSource.<Either<DeadLetter, T>>builder()
                        .setBootstrapServers(bootstrapServers)
                        .setTopics(topic)
                        .setGroupId("dlq-test")
                        .setStartingOffsets(startingOffsets)
                        .setBounded(OffsetsInitializer.latest())
                        .setDeserializer(
                                DeadLetterKafkaDeserializer.wrap(deserializer, policy, "source"))
                        .build();
        SingleOutputStreamOperator<T> values =
                DeadLetters.split(
                        env.fromSource(source, WatermarkStrategy.noWatermarks(), "source")
                                .uid("source"),
                        "split-dead-letters");
        DecodingTestJob<T> result = new DecodingTestJob<>();
        values.map(id)
                .returns(Types.STRING)
                .uid("ids")
                .name("ids")
                .sinkTo(result.processed)
                .uid("processed")
                .name("processed");
        values.getSideOutput(DeadLetters.TAG)
                .sinkTo(result.deadLetters)
                .uid("dead-letters")
                .name("dead-letters");
        if (dlqTopic != null) {
            DeadLetters.union(values)
                    .sinkTo(
                            DeadLetterSink.builder()
                                    .bootstrapServers(bootstrapServers)
                                    .topic(dlqTopic)
                                    .build())
                    .uid("dead-letter-queue")
                    .name("dead-letter-queue");
        }
        flink.submit(env, "dlq-test").getJobExecutionResult().get();
        return result;
    }
}
