package io.pipelinekit.core.kafka;

import io.pipelinekit.core.dlq.DeadLetterKafkaDeserializer;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.kafka.KafkaOptions.SecurityProtocol;
import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.types.Either;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.util.Objects;
import java.util.Properties;

/**
 * Kafka sources, sinks and client properties from {@link KafkaOptions}, with security (SASL
 * PLAIN/SCRAM, TLS) configured once for all of them.
 *
 * <pre>{@code
 * KafkaSource<Either<DeadLetter, Payment>> source =
 *         KafkaFactories.<Either<DeadLetter, Payment>>source(config, "payments")
 *                 .setDeserializer(DeadLetterKafkaDeserializer.wrap(valueDeserializer, policy, "payments"))
 *                 .build();
 * KafkaSink<Alert> sink = KafkaFactories.sink(config, alertSerializer);
 * }</pre>
 */
@PublicEvolving
public final class KafkaFactories {

    private KafkaFactories() {}

    /**
     * Client properties ({@code bootstrap.servers} and security) for any Kafka client; fails with
     * what is missing when the security settings are incomplete.
     */
    public static Properties clientProperties(ReadableConfig config) {
        String servers =
                config.getOptional(KafkaOptions.BOOTSTRAP_SERVERS)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "Kafka needs "
                                                        + KafkaOptions.BOOTSTRAP_SERVERS.key()
                                                        + " (host:port,...)"));
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", servers);
        SecurityProtocol protocol = config.get(KafkaOptions.SECURITY_PROTOCOL);
        properties.setProperty("security.protocol", protocol.name());
        if (protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL) {
            String user = config.get(KafkaOptions.SASL_USERNAME);
            String password = config.get(KafkaOptions.SASL_PASSWORD);
            if (user == null || password == null) {
                throw new IllegalArgumentException(
                        protocol
                                + " needs "
                                + KafkaOptions.SASL_USERNAME.key()
                                + " and "
                                + KafkaOptions.SASL_PASSWORD.key()
                                + " (the password from the environment or a file).");
            }
            KafkaOptions.SaslMechanism mechanism = config.get(KafkaOptions.SASL_MECHANISM);
            properties.setProperty("sasl.mechanism", mechanism.kafkaName());
            properties.setProperty(
                    "sasl.jaas.config",
                    mechanism.loginModule()
                            + " required username=\""
                            + escape(user)
                            + "\" password=\""
                            + escape(password)
                            + "\";");
        }
        if (protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL) {
            String storeType = config.get(KafkaOptions.STORE_TYPE);
            String truststore = config.get(KafkaOptions.TRUSTSTORE_LOCATION);
            if (truststore != null) {
                properties.setProperty("ssl.truststore.location", truststore);
                properties.setProperty("ssl.truststore.type", storeType);
                if (config.get(KafkaOptions.TRUSTSTORE_PASSWORD) != null) {
                    properties.setProperty(
                            "ssl.truststore.password",
                            config.get(KafkaOptions.TRUSTSTORE_PASSWORD));
                }
            }
            String keystore = config.get(KafkaOptions.KEYSTORE_LOCATION);
            if (keystore != null) {
                if (config.get(KafkaOptions.KEYSTORE_PASSWORD) == null) {
                    throw new IllegalArgumentException(
                            KafkaOptions.KEYSTORE_LOCATION.key()
                                    + " needs "
                                    + KafkaOptions.KEYSTORE_PASSWORD.key());
                }
                properties.setProperty("ssl.keystore.location", keystore);
                properties.setProperty("ssl.keystore.type", storeType);
                properties.setProperty(
                        "ssl.keystore.password", config.get(KafkaOptions.KEYSTORE_PASSWORD));
            }
            properties.setProperty(
                    "ssl.endpoint.identification.algorithm",
                    config.get(KafkaOptions.HOSTNAME_VERIFICATION) ? "https" : "");
        } else if (config.get(KafkaOptions.TRUSTSTORE_LOCATION) != null
                || config.get(KafkaOptions.KEYSTORE_LOCATION) != null) {
            throw new IllegalArgumentException(
                    "TLS stores are configured but "
                            + KafkaOptions.SECURITY_PROTOCOL.key()
                            + " is "
                            + protocol
                            + ": use SSL or SASL_SSL, or remove the stores.");
        }
        return properties;
    }

    /**
     * A source builder for {@code topics} with the connection, security and group configured; it
     * starts from the committed offsets, or the earliest where there are none. Set the deserializer
     * and {@code build()}.
     */
    public static <T> KafkaSourceBuilder<T> source(ReadableConfig config, String... topics) {
        if (topics.length == 0) {
            throw new IllegalArgumentException("A Kafka source needs at least one topic");
        }
        String groupId =
                config.getOptional(KafkaOptions.GROUP_ID)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "A Kafka source needs "
                                                        + KafkaOptions.GROUP_ID.key()
                                                        + ": its offsets are committed under that"
                                                        + " group."));
        Properties properties = clientProperties(config);
        return KafkaSource.<T>builder()
                .setBootstrapServers(properties.getProperty("bootstrap.servers"))
                .setProperties(properties)
                .setTopics(topics)
                .setGroupId(groupId)
                .setStartingOffsets(
                        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST));
    }

    /**
     * A source of Avro records in the Confluent wire format ({@code schema-registry.*} options)
     * from {@code topics}; records it cannot decode become dead letters naming {@code uid}. Add it
     * with {@link DeadLetters#fromSource} under the same uid.
     *
     * <pre>{@code
     * SingleOutputStreamOperator<PaymentTransaction> payments =
     *         DeadLetters.fromSource(
     *                 env,
     *                 KafkaFactories.avroSource(config, PaymentTransaction.class, policy, "payments", topic),
     *                 watermarks,
     *                 "payments");
     * }</pre>
     */
    public static <T extends SpecificRecord> KafkaSource<Either<DeadLetter, T>> avroSource(
            ReadableConfig config,
            Class<T> type,
            DeadLetterPolicy policy,
            String uid,
            String... topics) {
        Objects.requireNonNull(type, "type");
        return KafkaFactories.<Either<DeadLetter, T>>source(config, topics)
                .setDeserializer(
                        DeadLetterKafkaDeserializer.wrap(
                                ConfluentAvro.deserializer(type, config), policy, uid))
                .build();
    }

    /** A sink with the configured delivery guarantee, transactional ids and security. */
    public static <T> KafkaSink<T> sink(
            ReadableConfig config, KafkaRecordSerializationSchema<T> serializer) {
        Objects.requireNonNull(serializer, "serializer");
        Properties properties = clientProperties(config);
        DeliveryGuarantee guarantee = config.get(KafkaOptions.DELIVERY_GUARANTEE);
        String prefix = config.get(KafkaOptions.TRANSACTIONAL_ID_PREFIX);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            if (prefix == null
                    || prefix.isBlank()
                    || prefix.trim().equals(ExactlyOnceKafkaSink.CONNECTOR_DEFAULT_PREFIX)) {
                throw new IllegalArgumentException(
                        "EXACTLY_ONCE requires a transactionalIdPrefix of its own (not KafkaSink's"
                                + " shared default 'kafka-sink'): set "
                                + KafkaOptions.TRANSACTIONAL_ID_PREFIX.key()
                                + " to a value unique per job and sink (e.g."
                                + " 'fraud-detection.alerts'), or choose AT_LEAST_ONCE.");
            }
            properties.setProperty(
                    "transaction.timeout.ms",
                    Long.toString(config.get(KafkaOptions.TRANSACTION_TIMEOUT).toMillis()));
        }
        var builder =
                KafkaSink.<T>builder()
                        .setBootstrapServers(properties.getProperty("bootstrap.servers"))
                        .setKafkaProducerConfig(properties)
                        .setDeliveryGuarantee(guarantee)
                        .setRecordSerializer(serializer);
        if (prefix != null && !prefix.isBlank()) {
            builder.setTransactionalIdPrefix(prefix);
        }
        return builder.build();
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
