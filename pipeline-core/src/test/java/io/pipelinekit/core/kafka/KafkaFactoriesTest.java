package io.pipelinekit.core.kafka;

import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaFactoriesTest {

    @Test
    void plaintextNeedsOnlyBrokers() {
        Properties properties = KafkaFactories.clientProperties(config());

        assertThat(properties)
                .containsEntry("bootstrap.servers", "kafka:9092")
                .containsEntry("security.protocol", "PLAINTEXT");
        assertThat(properties).doesNotContainKeys("sasl.jaas.config", "ssl.truststore.location");
    }

    @Test
    void saslSslWithScramAndMutualTls() {
        Configuration config = config();
        config.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SASL_SSL);
        config.set(KafkaOptions.SASL_MECHANISM, KafkaOptions.SaslMechanism.SCRAM_SHA_256);
        config.set(KafkaOptions.SASL_USERNAME, "svc");
        config.set(KafkaOptions.SASL_PASSWORD, "p\"w");
        config.set(KafkaOptions.TRUSTSTORE_LOCATION, "/etc/kafka/truststore.p12");
        config.set(KafkaOptions.TRUSTSTORE_PASSWORD, "ts");
        config.set(KafkaOptions.KEYSTORE_LOCATION, "/etc/kafka/client.p12");
        config.set(KafkaOptions.KEYSTORE_PASSWORD, "ks");

        Properties properties = KafkaFactories.clientProperties(config);

        assertThat(properties)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .containsEntry(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required"
                                + " username=\"svc\" password=\"p\\\"w\";")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12")
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("ssl.keystore.location", "/etc/kafka/client.p12")
                .containsEntry("ssl.endpoint.identification.algorithm", "https");
    }

    @Test
    void incompleteSecurityIsExplained() {
        Configuration sasl = config();
        sasl.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SASL_PLAINTEXT);
        assertThatThrownBy(() -> KafkaFactories.clientProperties(sasl))
                .hasMessageContaining(
                        "SASL_PLAINTEXT needs kafka.sasl.username and kafka.sasl.password");

        Configuration tlsWithoutProtocol = config();
        tlsWithoutProtocol.set(KafkaOptions.TRUSTSTORE_LOCATION, "/x.p12");
        assertThatThrownBy(() -> KafkaFactories.clientProperties(tlsWithoutProtocol))
                .hasMessageContaining("use SSL or SASL_SSL");

        assertThatThrownBy(() -> KafkaFactories.clientProperties(new Configuration()))
                .hasMessageContaining("kafka.bootstrap-servers");
    }

    @Test
    void exactlyOnceRequiresATransactionalIdPrefix() {
        assertThatThrownBy(() -> KafkaFactories.sink(config(), serializer()))
                .hasMessageContaining("EXACTLY_ONCE requires a transactionalIdPrefix")
                .hasMessageContaining("kafka.sink.transactional-id-prefix");

        Configuration atLeastOnce = config();
        atLeastOnce.set(KafkaOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.AT_LEAST_ONCE);
        assertThatCode(() -> KafkaFactories.sink(atLeastOnce, serializer()))
                .doesNotThrowAnyException();
    }

    @Test
    void sourcesNeedAGroupAndATopic() {
        assertThatThrownBy(() -> KafkaFactories.source(config(), "t"))
                .hasMessageContaining("kafka.source.group-id");
        Configuration withGroup = config();
        withGroup.set(KafkaOptions.GROUP_ID, "g");
        assertThatThrownBy(() -> KafkaFactories.source(withGroup))
                .hasMessageContaining("at least one topic");
    }

    private static Configuration config() {
        Configuration config = new Configuration();
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, "kafka:9092");
        return config;
    }

    private static KafkaRecordSerializationSchema<String> serializer() {
        return KafkaRecordSerializationSchema.builder()
                .setTopic("out")
                .setValueSerializationSchema(new SimpleStringSchema())
                .build();
    }
}
