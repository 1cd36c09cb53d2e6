package io.pipelinekit.core.kafka;

import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Build-time checks of {@link ExactlyOnceKafkaSink}. */
class ExactlyOnceKafkaSinkTest {

    private static final CheckpointSettings CHECKPOINTS =
            CheckpointSettings.builder(CheckpointPreset.BALANCED)
                    .storage("file:///tmp/checkpoints")
                    .build();

    private static final KafkaRecordSerializationSchema<String> SERIALIZER =
            (value, context, timestamp) -> new ProducerRecord<>("t", value.getBytes());

    private static ExactlyOnceKafkaSink.Builder<String> complete() {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", "kafka:9092");
        return ExactlyOnceKafkaSink.<String>builder()
                .kafkaProperties(properties)
                .serializer(SERIALIZER)
                .transactionalIdPrefix("inventory-sync.changelog")
                .checkpointSettings(CHECKPOINTS);
    }

    @Test
    void requiresAPrefixOfItsOwn() {
        assertThatThrownBy(() -> ExactlyOnceKafkaSink.<String>builder().build())
                .hasMessageContaining("EXACTLY_ONCE requires a transactionalIdPrefix")
                .hasMessageContaining("kafkaProperties(...) with bootstrap.servers is missing")
                .hasMessageContaining("checkpointSettings(...) is missing");
        assertThatThrownBy(() -> complete().transactionalIdPrefix("kafka-sink").build())
                .hasMessageContaining(
                        "'kafka-sink' is KafkaSink's default, which every job shares");
    }

    @Test
    void theTransactionTimeoutMustOutlastCheckpointsAndFitTheBrokers() {
        assertThatThrownBy(() -> complete().transactionTimeout(Duration.ofMinutes(1)).build())
                .hasMessageContaining("transaction.timeout.ms=60000")
                .hasMessageContaining("the broker would abort it and its records would be lost");
        assertThatThrownBy(() -> complete().transactionTimeout(Duration.ofMinutes(16)).build())
                .hasMessageContaining("above the brokers' transaction.max.timeout.ms=900000");
        assertThatThrownBy(
                        () ->
                                complete()
                                        .brokerMaxTransactionTimeout(Duration.ofMinutes(5))
                                        .transactionTimeout(Duration.ofMinutes(6))
                                        .build())
                .hasMessageContaining("transaction.max.timeout.ms=300000");
    }

    @Test
    void defaultsTheTimeoutToTheBrokersMaximum() throws Exception {
        KafkaSink<String> sink = complete().build();
        Field config = KafkaSink.class.getDeclaredField("kafkaProducerConfig");
        config.setAccessible(true);
        assertThat(((Properties) config.get(sink)).getProperty("transaction.timeout.ms"))
                .isEqualTo("900000");
    }
}
