package io.pipelinekit.testkit.containers;

import io.pipelinekit.testkit.ServiceBackend;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.junit5.S3Extension;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same service contract on the Testcontainers backend. Without a Docker engine (as on this
 * project's CI) the extensions abort the class: it shows as skipped with the reason, never passed.
 */
class ContainerBackendITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension(ServiceBackend.CONTAINERS);

    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension(ServiceBackend.CONTAINERS);

    @RegisterExtension static final S3Extension S3 = new S3Extension(ServiceBackend.CONTAINERS);

    @Test
    void servicesHonourTheSameContract() throws Exception {
        String topic = KAFKA.service().createUniqueTopic("containers", 2);
        try (KafkaProducer<byte[], byte[]> producer =
                KAFKA.service().transactionalProducer("tx-" + topic)) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "v".getBytes(StandardCharsets.UTF_8))).get();
            producer.commitTransaction();
        }
        assertThat(KAFKA.service().readCommitted(topic)).hasSize(1);

        assertThat(
                        POSTGRES.database()
                                .queryForLong(
                                        "SELECT COUNT(*) FROM pg_settings WHERE name = 'wal_level'"
                                                + " AND setting = 'logical'"))
                .isEqualTo(1);

        S3.service().putObject(S3.bucket(), "k", "v");
        assertThat(S3.service().getObjectAsString(S3.bucket(), "k")).isEqualTo("v");
    }
}
