package io.pipelinekit.core.kafka;

import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.kafka.internal.TransactionTimeouts;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

import javax.annotation.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * Builds exactly-once {@link KafkaSink}s that cannot be misconfigured: a transactional-id prefix of
 * their own is required, and {@code transaction.timeout.ms} is set to outlast the longest a
 * transaction may stay open under the job's checkpointing, within the brokers' maximum.
 *
 * <p>Records become visible when the checkpoint after them completes. Readers must use {@code
 * isolation.level=read_committed}: a {@code read_uncommitted} consumer also sees records of aborted
 * transactions, i.e. duplicates after every failure. A restarted job aborts the transactions its
 * failed attempt left open, so they do not block {@code read_committed} readers.
 *
 * <pre>{@code
 * KafkaSink<FraudAlert> alerts =
 *         ExactlyOnceKafkaSink.<FraudAlert>builder()
 *                 .kafkaProperties(KafkaFactories.clientProperties(config))
 *                 .transactionalIdPrefix("fraud-detection.alerts")
 *                 .checkpointSettings(CheckpointSettings.fromConfig(config))
 *                 .serializer(alertSerializer)
 *                 .build();
 * }</pre>
 */
@PublicEvolving
public final class ExactlyOnceKafkaSink {

    /** KafkaSink's own default prefix, which every job would share. */
    static final String CONNECTOR_DEFAULT_PREFIX = "kafka-sink";

    private ExactlyOnceKafkaSink() {}

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /**
     * Asks the brokers for their {@code transaction.max.timeout.ms}, e.g. for {@link
     * io.pipelinekit.core.checkpoint.PipelineValidator}.
     */
    public static Duration brokerMaxTransactionTimeout(Properties kafkaProperties) {
        return TransactionTimeouts.brokerMax(kafkaProperties);
    }

    /** Builder of an exactly-once {@link KafkaSink}. */
    @PublicEvolving
    public static final class Builder<T> {
        private Properties properties;
        private KafkaRecordSerializationSchema<T> serializer;
        private String prefix;
        private CheckpointSettings checkpointSettings;
        private Duration transactionTimeout;
        private Duration brokerMax = TransactionTimeouts.DEFAULT_BROKER_MAX;
        private boolean fetchBrokerMax;

        private Builder() {}

        /** Connection and security, e.g. {@link KafkaFactories#clientProperties}. */
        public Builder<T> kafkaProperties(Properties properties) {
            Objects.requireNonNull(properties, "properties");
            this.properties = new Properties();
            this.properties.putAll(properties);
            return this;
        }

        public Builder<T> serializer(KafkaRecordSerializationSchema<T> serializer) {
            this.serializer = Objects.requireNonNull(serializer, "serializer");
            return this;
        }

        /**
         * Prefix of the sink's transactional ids, unique per job and sink across the cluster (e.g.
         * {@code fraud-detection.alerts}); keep it stable across restarts and upgrades, or the
         * transactions of the previous run are not aborted.
         */
        public Builder<T> transactionalIdPrefix(String prefix) {
            this.prefix = Objects.requireNonNull(prefix, "transactionalIdPrefix");
            return this;
        }

        /** The job's checkpointing, which the transaction timeout must outlast. */
        public Builder<T> checkpointSettings(CheckpointSettings settings) {
            this.checkpointSettings = Objects.requireNonNull(settings, "checkpointSettings");
            return this;
        }

        /** {@code transaction.timeout.ms}; null or unset: the brokers' maximum. */
        public Builder<T> transactionTimeout(@Nullable Duration timeout) {
            this.transactionTimeout = timeout;
            return this;
        }

        /** The brokers' {@code transaction.max.timeout.ms} (default 15 min, Kafka's default). */
        public Builder<T> brokerMaxTransactionTimeout(Duration max) {
            this.brokerMax = Objects.requireNonNull(max, "brokerMaxTransactionTimeout");
            this.fetchBrokerMax = false;
            return this;
        }

        /** Read the brokers' {@code transaction.max.timeout.ms} from the cluster in build(). */
        public Builder<T> fetchBrokerMaxTransactionTimeout() {
            this.fetchBrokerMax = true;
            return this;
        }

        public KafkaSink<T> build() {
            List<String> problems = new ArrayList<>();
            if (properties == null || properties.getProperty("bootstrap.servers") == null) {
                problems.add(
                        "kafkaProperties(...) with bootstrap.servers is missing (e.g."
                                + " KafkaFactories.clientProperties(config))");
            }
            if (serializer == null) {
                problems.add("serializer(...) is missing: how records become Kafka records");
            }
            if (prefix == null || prefix.isBlank()) {
                problems.add(
                        "EXACTLY_ONCE requires a transactionalIdPrefix: set one unique per job and"
                                + " sink (e.g. 'fraud-detection.alerts'), stable across restarts");
            } else if (prefix.trim().equals(CONNECTOR_DEFAULT_PREFIX)) {
                problems.add(
                        "transactionalIdPrefix '"
                                + CONNECTOR_DEFAULT_PREFIX
                                + "' is KafkaSink's default, which every job shares: jobs would"
                                + " fence each other's transactions. Choose one unique per job and"
                                + " sink (e.g. 'fraud-detection.alerts').");
            }
            if (checkpointSettings == null) {
                problems.add(
                        "checkpointSettings(...) is missing: the transaction timeout must outlast"
                                + " the longest a transaction stays open, which the checkpointing"
                                + " decides");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "Exactly-once Kafka sink is not complete:\n  - "
                                + String.join("\n  - ", problems));
            }
            Duration max = fetchBrokerMax ? TransactionTimeouts.brokerMax(properties) : brokerMax;
            Duration timeout = transactionTimeout != null ? transactionTimeout : max;
            TransactionTimeouts.check(prefix, timeout, checkpointSettings, max, problems);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("\n", problems));
            }
            Properties producer = new Properties();
            producer.putAll(properties);
            producer.setProperty("transaction.timeout.ms", Long.toString(timeout.toMillis()));
            return KafkaSink.<T>builder()
                    .setBootstrapServers(properties.getProperty("bootstrap.servers"))
                    .setKafkaProducerConfig(producer)
                    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                    .setTransactionalIdPrefix(prefix)
                    .setRecordSerializer(serializer)
                    .build();
        }
    }
}
