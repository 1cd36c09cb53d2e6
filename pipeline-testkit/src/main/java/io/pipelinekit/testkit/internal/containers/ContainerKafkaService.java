package io.pipelinekit.testkit.internal.containers;

import io.pipelinekit.testkit.kafka.KafkaService;

import org.testcontainers.kafka.KafkaContainer;

/** Kafka in a Docker container ({@code apache/kafka}, KRaft), same contract as the embedded one. */
final class ContainerKafkaService implements KafkaService {

    static final String IMAGE = "apache/kafka:4.1.1";

    private final KafkaContainer container;

    private ContainerKafkaService(KafkaContainer container) {
        this.container = container;
    }

    static ContainerKafkaService start() {
        KafkaContainer container =
                new KafkaContainer(IMAGE)
                        .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                        .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                        .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                        .withEnv("KAFKA_TRANSACTION_MAX_TIMEOUT_MS", "3600000")
                        // Keeps test records with historical event times; see EmbeddedKafkaBroker.
                        .withEnv("KAFKA_LOG_RETENTION_MS", "-1");
        container.start();
        return new ContainerKafkaService(container);
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
