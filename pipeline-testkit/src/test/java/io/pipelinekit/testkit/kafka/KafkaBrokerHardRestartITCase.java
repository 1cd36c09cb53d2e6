package io.pipelinekit.testkit.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A hard restart (SIGKILL, then start on the same ports and data) keeps topics, committed records
 * and transaction state, as a real broker's crash would.
 */
class KafkaBrokerHardRestartITCase {

    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().build().start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aKilledBrokerComesBackWithItsTopicsCommittedDataAndOpenTransactions() throws Exception {
        String topic = broker.createUniqueTopic("restart", 2);
        String bootstrap = broker.bootstrapServers();
        KafkaProducer<byte[], byte[]> producer = broker.transactionalProducer("tx-restart");
        try {
            producer.beginTransaction();
            for (int i = 0; i < 100; i++) {
                producer.send(record(topic, "committed-" + i));
            }
            producer.commitTransaction();
            // Left open when the broker dies: must neither appear nor vanish from the log.
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(record(topic, "open-" + i));
            }
            producer.flush();
            long pid = broker.pid();

            broker.kill();
            assertThat(broker.isRunning()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThatThrownBy(() -> describeCluster(bootstrap)).isNotNull();
        } finally {
            // Without a broker, a plain close() would wait forever for the open transaction.
            producer.close(Duration.ZERO);
        }

        broker.restart();
        assertThat(broker.isRunning()).isTrue();
        assertThat(broker.bootstrapServers()).isEqualTo(bootstrap);
        try (Admin admin = broker.admin()) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(topic);
        }
        assertThat(values(broker.readCommitted(topic, 100, Duration.ofSeconds(60))))
                .hasSize(100)
                .allMatch(v -> v.startsWith("committed-"));
        assertThat(values(broker.readUncommitted(topic))).hasSize(110);

        // The same transactional id fences and aborts the open transaction; new commits work.
        try (KafkaProducer<byte[], byte[]> again = broker.transactionalProducer("tx-restart")) {
            again.beginTransaction();
            again.send(record(topic, "after-restart"));
            again.commitTransaction();
        }
        List<String> committed = values(broker.readCommitted(topic));
        assertThat(committed)
                .hasSize(101)
                .contains("after-restart")
                .noneMatch(v -> v.startsWith("open-"));
    }

    private static void describeCluster(String bootstrap) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 1500);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000);
        try (Admin admin = Admin.create(properties)) {
            admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String value) {
        return new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }
}
