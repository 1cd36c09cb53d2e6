package io.pipelinekit.testkit.kafka;

import io.pipelinekit.testkit.internal.kafka.KafkaReads;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running Kafka cluster for tests, with helpers for topics, producers and read_committed reads.
 *
 * <p>Obtain the JVM-wide shared instance from {@link io.pipelinekit.testkit.TestServices#kafka()}
 * or a JUnit {@link io.pipelinekit.testkit.junit5.KafkaExtension}; start a private one with {@link
 * EmbeddedKafkaBroker#builder()}.
 */
@PublicEvolving
public interface KafkaService extends AutoCloseable {

    /** The {@code bootstrap.servers} value for clients. */
    String bootstrapServers();

    /** Stops the cluster. Shared instances are stopped by the test kit at JVM exit. */
    @Override
    void close();

    /** Client properties with {@code bootstrap.servers} set. */
    default Properties clientProperties() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return properties;
    }

    /** An admin client; the caller closes it. */
    default Admin admin() {
        return Admin.create(clientProperties());
    }

    /** Creates topics and waits until they exist. */
    default void createTopics(NewTopic... topics) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(topics)).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create topics " + List.of(topics), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        }
    }

    /** Creates a topic with the given name and partitions (replication factor 1). */
    default String createTopic(String name, int partitions) {
        createTopics(new NewTopic(name, partitions, (short) 1));
        return name;
    }

    /**
     * Creates a topic with a unique name starting with {@code prefix}, so tests never share one.
     */
    default String createUniqueTopic(String prefix, int partitions) {
        return createTopic(prefix + "-" + UUID.randomUUID().toString().substring(0, 8), partitions);
    }

    /** A byte-array producer with {@code acks=all} and idempotence; the caller closes it. */
    default KafkaProducer<byte[], byte[]> producer(Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.putAll(overrides);
        return new KafkaProducer<>(config);
    }

    /**
     * A transactional byte-array producer with {@code initTransactions()} already called; the
     * caller begins, commits or aborts transactions and closes it.
     */
    default KafkaProducer<byte[], byte[]> transactionalProducer(String transactionalId) {
        KafkaProducer<byte[], byte[]> producer =
                producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId));
        producer.initTransactions();
        return producer;
    }

    /** A byte-array consumer without group management; the caller assigns and closes it. */
    default KafkaConsumer<byte[], byte[]> consumer(boolean readCommitted) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                readCommitted ? "read_committed" : "read_uncommitted");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return new KafkaConsumer<>(config);
    }

    /**
     * Everything a {@code read_committed} consumer sees on {@code topic} from the beginning up to
     * the last stable offset at the time of the call: committed records only, never aborted or
     * still-open transactions.
     */
    default List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
        return KafkaReads.readToEnd(this, topic, true, Duration.ofSeconds(60));
    }

    /**
     * Like {@link #readCommitted(String)} but also returns records of aborted or open transactions.
     */
    default List<ConsumerRecord<byte[], byte[]>> readUncommitted(String topic) {
        return KafkaReads.readToEnd(this, topic, false, Duration.ofSeconds(60));
    }

    /**
     * Waits until a {@code read_committed} consumer has seen at least {@code expected} records on
     * {@code topic} and returns all it read; fails with what it did see when the timeout passes.
     */
    default List<ConsumerRecord<byte[], byte[]>> readCommitted(
            String topic, int expected, Duration timeout) {
        return KafkaReads.readAtLeast(this, topic, expected, timeout);
    }
}
