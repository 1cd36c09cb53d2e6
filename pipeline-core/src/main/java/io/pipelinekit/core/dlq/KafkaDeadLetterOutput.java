package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/** {@link DeadLetterOutput#kafka}: dead letters to a Kafka topic. */
final class KafkaDeadLetterOutput implements DeadLetterOutput {
    private static final long serialVersionUID = 1L;
    private final Properties properties;
    private final String topic;

    KafkaDeadLetterOutput(Properties properties, String topic) {
        this.properties = properties;
        this.topic = topic;
    }

    /** The topic dead letters go to. */
    public String topic() {
        return topic;
    }

    @Override
    public String toString() {
        return "Kafka topic " + topic;
    }

    @Override
    public DeadLetterOutput.Writer open() {
        Properties config = new Properties();
        config.putAll(properties);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config);
        AtomicReference<Exception> failure = new AtomicReference<>();
        return new DeadLetterOutput.Writer() {
            @Override
            public void write(DeadLetter letter) throws IOException {
                rethrow();
                producer.send(
                        DeadLetterSink.toProducerRecord(topic, letter),
                        (metadata, error) -> {
                            if (error != null) {
                                failure.compareAndSet(null, error);
                            }
                        });
            }

            @Override
            public void flush() throws IOException {
                producer.flush();
                rethrow();
            }

            private void rethrow() throws IOException {
                Exception error = failure.get();
                if (error != null) {
                    throw new IOException(
                            "Dead letters could not be written to topic '"
                                    + topic
                                    + "': "
                                    + error.getMessage()
                                    + ". The job fails rather than lose them; check that the"
                                    + " topic exists and the producer may write to it.",
                            error);
                }
            }

            @Override
            public void close() {
                producer.close(Duration.ofSeconds(10));
            }
        };
    }
}
