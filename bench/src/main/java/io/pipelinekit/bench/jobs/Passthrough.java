package io.pipelinekit.bench.jobs;

import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.java.utils.ParameterTool;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;

/**
 * The Flink baseline: a hand-written KafkaSource -> map -> KafkaSink job over the payment contract,
 * decoding and encoding the Confluent wire format like the fraud job, with no library blocks.
 *
 * <pre>{@code
 * flink run -c io.pipelinekit.bench.jobs.Passthrough bench-jobs.jar --bootstrap localhost:9092
 *     --registry http://localhost:8081 --input payments --output payments-copy --group g1
 *     --guarantee EXACTLY_ONCE --checkpoint-interval 1000 --checkpoint-dir file:///tmp/cp
 * }</pre>
 */
public final class Passthrough {

    private Passthrough() {}

    /** The map step, shared with the plain-Java ceiling so both do the same work per record. */
    public static PaymentTransaction normalize(PaymentTransaction tx) {
        tx.setCurrency(tx.getCurrency().toUpperCase(Locale.ROOT));
        return tx;
    }

    /** The record key: the card, as the input is keyed. */
    public static byte[] key(PaymentTransaction tx) {
        return tx.getCardId().getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        String bootstrap = params.getRequired("bootstrap");
        String output = params.getRequired("output");
        DeliveryGuarantee guarantee =
                DeliveryGuarantee.valueOf(params.get("guarantee", "AT_LEAST_ONCE"));
        Configuration registry = new Configuration();
        registry.set(SchemaRegistryOptions.URL, params.getRequired("registry"));

        Configuration conf = new Configuration();
        conf.set(
                CheckpointingOptions.CHECKPOINTING_INTERVAL,
                Duration.ofMillis(params.getLong("checkpoint-interval", 1000)));
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, params.getRequired("checkpoint-dir"));
        conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setMaxParallelism(128);

        KafkaSource<PaymentTransaction> source =
                KafkaSource.<PaymentTransaction>builder()
                        .setBootstrapServers(bootstrap)
                        .setTopics(params.getRequired("input"))
                        .setGroupId(params.getRequired("group"))
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setValueOnlyDeserializer(
                                ConfluentAvro.deserializer(PaymentTransaction.class, registry))
                        .build();
        Properties producer = new Properties();
        producer.setProperty("transaction.timeout.ms", "900000");
        var sink =
                KafkaSink.<PaymentTransaction>builder()
                        .setBootstrapServers(bootstrap)
                        .setKafkaProducerConfig(producer)
                        .setDeliveryGuarantee(guarantee)
                        .setRecordSerializer(
                                KafkaRecordSerializationSchema.<PaymentTransaction>builder()
                                        .setTopic(output)
                                        .setKeySerializationSchema(Passthrough::key)
                                        .setValueSerializationSchema(
                                                ConfluentAvro.serializer(
                                                        PaymentTransaction.class, output, registry))
                                        .build());
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            sink.setTransactionalIdPrefix(params.getRequired("transactional-id-prefix"));
        }
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "payments")
                .uid("payments")
                .map(Passthrough::normalize)
                .uid("normalize")
                .name("normalize")
                .sinkTo(sink.build())
                .uid("payments-out")
                .name("payments-out");
        env.execute("passthrough-" + guarantee.name().toLowerCase(Locale.ROOT));
    }
}
