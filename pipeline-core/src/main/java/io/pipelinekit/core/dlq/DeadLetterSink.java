package io.pipelinekit.core.dlq;

import io.pipelinekit.core.kafka.KafkaFactories;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.schemas.dlq.CdcSource;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.KafkaSource;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * Writes dead letters to a Kafka topic, at least once, keyed by their source coordinates (so the
 * letters of one source partition stay in order), with {@code dlq.stage} and {@code dlq.reason}
 * headers for filtering without decoding.
 *
 * <pre>{@code
 * DeadLetters.union(source, enrich, validate)
 *         .sinkTo(DeadLetterSink.builder()
 *                 .bootstrapServers("kafka:9092")
 *                 .topic("inventory-sync.dlq")
 *                 .build())
 *         .uid("dead-letter-sink").name("dead-letter-sink");
 * }</pre>
 *
 * <p>Jobs configured with {@link DeadLetterOptions} and the Kafka options use {@link
 * #fromConfig(ReadableConfig)}.
 */
@PublicEvolving
public final class DeadLetterSink {

    public static final String STAGE_HEADER = "dlq.stage";
    public static final String REASON_HEADER = "dlq.reason";

    private DeadLetterSink() {}

    public static Builder builder() {
        return new Builder();
    }

    /** The record key of a dead letter: its source coordinates, or its id without a source. */
    public static String keyOf(DeadLetter letter) {
        Object source = letter.getSource();
        if (source instanceof KafkaSource) {
            KafkaSource kafka = (KafkaSource) source;
            return kafka.getTopic() + "-" + kafka.getPartition() + "@" + kafka.getOffset();
        }
        if (source instanceof CdcSource) {
            CdcSource cdc = (CdcSource) source;
            return cdc.getDatabase() + "." + cdc.getTable() + "@" + cdc.getLsn();
        }
        return letter.getId().toString();
    }

    /** The Kafka record of a dead letter: key, encoded envelope and filter headers. */
    static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, DeadLetter letter) {
        return new ProducerRecord<>(
                topic,
                null,
                letter.getFailedAt().toEpochMilli(),
                keyOf(letter).getBytes(StandardCharsets.UTF_8),
                DeadLetterCodec.encode(letter),
                List.of(
                        new RecordHeader(
                                STAGE_HEADER,
                                letter.getStage().name().getBytes(StandardCharsets.UTF_8)),
                        new RecordHeader(
                                REASON_HEADER,
                                letter.getReason().getBytes(StandardCharsets.UTF_8))));
    }

    /**
     * The dead-letter sink a job's configuration describes: {@code dlq.topic} on the cluster of
     * {@code kafka.bootstrap-servers}, with the job's Kafka client settings (security included).
     */
    public static KafkaSink<DeadLetter> fromConfig(ReadableConfig config) {
        return builder()
                .bootstrapServers(config.get(KafkaOptions.BOOTSTRAP_SERVERS))
                .kafkaProperties(KafkaFactories.clientProperties(config))
                .topic(config.get(DeadLetterOptions.TOPIC))
                .build();
    }

    /** Builder of the dead-letter {@link KafkaSink}. */
    @PublicEvolving
    public static final class Builder {
        private String bootstrapServers;
        private String topic;
        private final Properties properties = new Properties();

        private Builder() {}

        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = Objects.requireNonNull(servers, "bootstrapServers");
            return this;
        }

        public Builder topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /** Producer properties, e.g. security settings. */
        public Builder kafkaProperties(Properties producerProperties) {
            properties.putAll(Objects.requireNonNull(producerProperties, "producerProperties"));
            return this;
        }

        public KafkaSink<DeadLetter> build() {
            if (bootstrapServers == null || topic == null) {
                throw new IllegalStateException(
                        "DeadLetterSink needs bootstrapServers(...) and topic(...): where should"
                                + " dead letters go?");
            }
            return KafkaSink.<DeadLetter>builder()
                    .setBootstrapServers(bootstrapServers)
                    .setKafkaProducerConfig(properties)
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .setRecordSerializer(new Serializer(topic))
                    .build();
        }
    }

    private static final class Serializer implements KafkaRecordSerializationSchema<DeadLetter> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        Serializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                DeadLetter letter, KafkaSinkContext context, Long timestamp) {
            return toProducerRecord(topic, letter);
        }
    }
}
