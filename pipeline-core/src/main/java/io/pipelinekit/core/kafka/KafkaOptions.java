package io.pipelinekit.core.kafka;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.time.Duration;

/** Options of the Kafka sources and sinks that {@link KafkaFactories} builds. */
@PublicEvolving
public final class KafkaOptions {

    /** Kafka's {@code security.protocol}. */
    public enum SecurityProtocol {
        PLAINTEXT,
        SSL,
        SASL_PLAINTEXT,
        SASL_SSL
    }

    /** SASL mechanisms with user and password. */
    public enum SaslMechanism {
        PLAIN("PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule"),
        SCRAM_SHA_256("SCRAM-SHA-256", "org.apache.kafka.common.security.scram.ScramLoginModule"),
        SCRAM_SHA_512("SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule");

        private final String kafkaName;
        private final String loginModule;

        SaslMechanism(String kafkaName, String loginModule) {
            this.kafkaName = kafkaName;
            this.loginModule = loginModule;
        }

        /** The name in Kafka's {@code sasl.mechanism}. */
        public String kafkaName() {
            return kafkaName;
        }

        public String loginModule() {
            return loginModule;
        }
    }

    public static final ConfigOption<String> BOOTSTRAP_SERVERS =
            ConfigOptions.key("kafka.bootstrap-servers")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Kafka brokers to connect to, host:port separated by commas.");

    public static final ConfigOption<SecurityProtocol> SECURITY_PROTOCOL =
            ConfigOptions.key("kafka.security.protocol")
                    .enumType(SecurityProtocol.class)
                    .defaultValue(SecurityProtocol.PLAINTEXT)
                    .withDescription(
                            "How clients talk to the brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or"
                                    + " SASL_SSL.");

    public static final ConfigOption<SaslMechanism> SASL_MECHANISM =
            ConfigOptions.key("kafka.sasl.mechanism")
                    .enumType(SaslMechanism.class)
                    .defaultValue(SaslMechanism.SCRAM_SHA_512)
                    .withDescription(
                            "SASL mechanism for SASL_* protocols: PLAIN, SCRAM_SHA_256 or"
                                    + " SCRAM_SHA_512.");

    public static final ConfigOption<String> SASL_USERNAME =
            ConfigOptions.key("kafka.sasl.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("SASL user for SASL_* protocols.");

    public static final ConfigOption<String> SASL_PASSWORD =
            ConfigOptions.key("kafka.sasl.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("SASL password (secret: from the environment or a file).");

    public static final ConfigOption<String> TRUSTSTORE_LOCATION =
            ConfigOptions.key("kafka.ssl.truststore.location")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Trust store with the brokers' CA for SSL and SASL_SSL; the JVM's"
                                    + " default when unset.");

    public static final ConfigOption<String> TRUSTSTORE_PASSWORD =
            ConfigOptions.key("kafka.ssl.truststore.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Password of the trust store (secret).");

    public static final ConfigOption<String> KEYSTORE_LOCATION =
            ConfigOptions.key("kafka.ssl.keystore.location")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Key store with the client certificate, for brokers that require mutual"
                                    + " TLS.");

    public static final ConfigOption<String> KEYSTORE_PASSWORD =
            ConfigOptions.key("kafka.ssl.keystore.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Password of the key store (secret).");

    public static final ConfigOption<String> STORE_TYPE =
            ConfigOptions.key("kafka.ssl.store-type")
                    .stringType()
                    .defaultValue("PKCS12")
                    .withDescription("Type of the trust and key stores: PKCS12 or JKS.");

    public static final ConfigOption<Boolean> HOSTNAME_VERIFICATION =
            ConfigOptions.key("kafka.ssl.hostname-verification")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Whether TLS checks that the broker's certificate names its host.");

    public static final ConfigOption<String> GROUP_ID =
            ConfigOptions.key("kafka.source.group-id")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Consumer group of the job's sources (offsets are committed on"
                                    + " checkpoints).");

    public static final ConfigOption<DeliveryGuarantee> DELIVERY_GUARANTEE =
            ConfigOptions.key("kafka.sink.delivery-guarantee")
                    .enumType(DeliveryGuarantee.class)
                    .defaultValue(DeliveryGuarantee.EXACTLY_ONCE)
                    .withDescription(
                            "EXACTLY_ONCE (Kafka transactions committed on checkpoints),"
                                    + " AT_LEAST_ONCE or NONE.");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("kafka.sink.transactional-id-prefix")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Prefix of the sink's transactional ids: unique per job and sink;"
                                    + " required for EXACTLY_ONCE.");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
            ConfigOptions.key("kafka.sink.transaction-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(14))
                    .withDescription(
                            "transaction.timeout.ms of exactly-once sinks: above checkpoint"
                                    + " interval + timeout + restart backoff, at most the brokers'"
                                    + " transaction.max.timeout.ms (15 min by default).");

    private KafkaOptions() {}
}
