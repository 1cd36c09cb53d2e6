package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.kafka.clients.producer.ProducerConfig;

import java.io.IOException;
import java.io.Serializable;
import java.util.Objects;
import java.util.Properties;

/**
 * Where an operator that has no side output (a sink) sends its dead letters, e.g. the records a
 * sink's target store rejects.
 *
 * <p>Dead letters written before {@link Writer#flush()} returns are durable; sinks flush it before
 * every checkpoint completes, so a dead letter is never lost when the job restarts.
 *
 * <pre>{@code
 * DeadLetterOutput deadLetters =
 *         DeadLetterOutput.kafka(KafkaFactories.clientProperties(config), "inventory-sync.dlq");
 * }</pre>
 */
@PublicEvolving
public interface DeadLetterOutput extends Serializable {

    /** Opens the output in a running task; the caller closes the writer. */
    Writer open() throws IOException;

    /** Sends dead letters; not thread-safe, one per subtask. */
    @PublicEvolving
    interface Writer extends AutoCloseable {
        void write(DeadLetter letter) throws IOException;

        /** Blocks until every dead letter written so far is durable, or fails with the reason. */
        void flush() throws IOException;

        @Override
        void close() throws IOException;
    }

    /**
     * Dead letters to a Kafka topic in the same format, key and headers as {@link DeadLetterSink}
     * (so {@link DeadLetterReplay} and dead-letter consumers read both alike), with {@code
     * acks=all} and idempotence.
     */
    static DeadLetterOutput kafka(Properties producerProperties, String topic) {
        Objects.requireNonNull(producerProperties, "producerProperties");
        Objects.requireNonNull(topic, "topic");
        if (producerProperties.getProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
            throw new IllegalArgumentException(
                    "DeadLetterOutput.kafka needs bootstrap.servers in the producer properties"
                            + " (e.g. KafkaFactories.clientProperties(config))");
        }
        Properties copy = new Properties();
        copy.putAll(producerProperties);
        return new KafkaDeadLetterOutput(copy, topic);
    }
}
