package io.pipelinekit.core.kafka;

import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.checkpoint.PipelineValidator;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Clients from the factories connect to a real broker with SASL/PLAIN, SASL/SCRAM-SHA-256 and TLS;
 * wrong credentials and untrusted certificates are refused.
 */
class KafkaSecurityITCase {

    private static EmbeddedKafkaBroker broker;

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @BeforeAll
    static void startBroker() {
        broker =
                EmbeddedKafkaBroker.builder()
                        .saslPlainUser("svc", "svc-secret")
                        .scramUser("scram-svc", "scram-secret")
                        .tls()
                        .build()
                        .start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void factorySourceAndExactlyOnceSinkWorkOverSasl() throws Exception {
        String in = broker.createUniqueTopic("in", 2);
        String out = broker.createUniqueTopic("out", 2);
        Configuration config = sasl("svc-secret");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        KafkaFactories.clientProperties(config),
                        new StringSerializer(),
                        new StringSerializer())) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>(in, "k" + i, "v" + i)).get();
            }
        }

        config.set(KafkaOptions.GROUP_ID, "sasl-test");
        config.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, "sasl-test-" + out);
        CheckpointSettings checkpoints =
                CheckpointSettings.builder(CheckpointPreset.LOW_LATENCY)
                        .storage(FLINK.cluster().checkpointDirectory())
                        .interval(Duration.ofMillis(500))
                        .build();
        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        checkpoints.applyTo(env);
        env.fromSource(
                        KafkaFactories.<String>source(config, in)
                                .setValueOnlyDeserializer(new SimpleStringSchema())
                                .setBounded(OffsetsInitializer.latest())
                                .build(),
                        WatermarkStrategy.noWatermarks(),
                        "in")
                .uid("in")
                .map(String::toUpperCase)
                .returns(Types.STRING)
                .uid("upper")
                .name("upper")
                .sinkTo(
                        KafkaFactories.sink(
                                config,
                                KafkaRecordSerializationSchema.builder()
                                        .setTopic(out)
                                        .setValueSerializationSchema(new SimpleStringSchema())
                                        .build()))
                .uid("out")
                .name("out");
        PipelineValidator.validate(env, checkpoints);
        FLINK.cluster().submit(env, "sasl").getJobExecutionResult().get();

        List<String> committed =
                broker.readCommitted(out).stream()
                        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                        .collect(Collectors.toList());
        assertThat(committed).hasSize(50).allSatisfy(v -> assertThat(v).startsWith("V"));
    }

    @Test
    void wrongPasswordIsRefused() {
        Properties properties = KafkaFactories.clientProperties(sasl("wrong"));
        properties.put("max.block.ms", "10000");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("any", "v")).get())
                    .isInstanceOfAny(ExecutionException.class, SaslAuthenticationException.class)
                    .satisfies(
                            e ->
                                    assertThat(e instanceof ExecutionException ? e.getCause() : e)
                                            .isInstanceOf(SaslAuthenticationException.class));
        }
    }

    @Test
    void scramSha256Authenticates() throws Exception {
        String topic = broker.createUniqueTopic("scram", 1);
        Configuration config = new Configuration();
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, broker.saslBootstrapServers());
        config.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SASL_PLAINTEXT);
        config.set(KafkaOptions.SASL_MECHANISM, KafkaOptions.SaslMechanism.SCRAM_SHA_256);
        config.set(KafkaOptions.SASL_USERNAME, "scram-svc");
        config.set(KafkaOptions.SASL_PASSWORD, "scram-secret");

        send(config, topic, "over-scram");

        assertThat(values(topic)).containsExactly("over-scram");
        config.set(KafkaOptions.SASL_PASSWORD, "wrong");
        assertRefused(config, SaslAuthenticationException.class);
    }

    @Test
    void scramSha512OverTlsAndFailuresNameTheSettingToFix() throws Exception {
        String topic = broker.createUniqueTopic("sasl-ssl", 1);
        Configuration config = new Configuration();
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, broker.saslSslBootstrapServers());
        config.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SASL_SSL);
        config.set(KafkaOptions.SASL_MECHANISM, KafkaOptions.SaslMechanism.SCRAM_SHA_512);
        config.set(KafkaOptions.SASL_USERNAME, "scram-svc");
        config.set(KafkaOptions.SASL_PASSWORD, "scram-secret");
        config.set(KafkaOptions.TRUSTSTORE_LOCATION, broker.truststore().toString());
        config.set(KafkaOptions.TRUSTSTORE_PASSWORD, broker.truststorePassword());

        send(config, topic, "over-sasl-ssl");
        assertThat(values(topic)).containsExactly("over-sasl-ssl");
        assertThat(
                        ExactlyOnceKafkaSink.brokerMaxTransactionTimeout(
                                KafkaFactories.clientProperties(config)))
                .as("the pre-flight read of the brokers' limit works over SASL_SSL")
                .isEqualTo(Duration.ofHours(1));

        // Wrong password and untrusted certificate: the pre-flight check fails at once with what
        // to fix (and never prints the password), instead of a job that retries forever.
        config.set(KafkaOptions.SASL_PASSWORD, "wrong-password-123");
        assertThatThrownBy(
                        () ->
                                ExactlyOnceKafkaSink.brokerMaxTransactionTimeout(
                                        KafkaFactories.clientProperties(config)))
                .hasMessageContaining("refused the credentials of user 'scram-svc'")
                .hasMessageContaining("SCRAM-SHA-512")
                .hasMessageContaining(KafkaOptions.SASL_PASSWORD.key())
                .hasMessageNotContaining("wrong-password-123");
        config.set(KafkaOptions.SASL_PASSWORD, "scram-secret");
        config.removeConfig(KafkaOptions.TRUSTSTORE_LOCATION);
        config.removeConfig(KafkaOptions.TRUSTSTORE_PASSWORD);
        assertThatThrownBy(
                        () ->
                                ExactlyOnceKafkaSink.brokerMaxTransactionTimeout(
                                        KafkaFactories.clientProperties(config)))
                .hasMessageContaining("TLS handshake")
                .hasMessageContaining(KafkaOptions.TRUSTSTORE_LOCATION.key());
    }

    @Test
    void tlsWithTheBrokersTrustStore() throws Exception {
        String topic = broker.createUniqueTopic("tls", 1);
        Configuration config = new Configuration();
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, broker.tlsBootstrapServers());
        config.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SSL);
        config.set(KafkaOptions.TRUSTSTORE_LOCATION, broker.truststore().toString());
        config.set(KafkaOptions.TRUSTSTORE_PASSWORD, broker.truststorePassword());

        send(config, topic, "over-tls");

        assertThat(values(topic)).containsExactly("over-tls");
        Configuration untrusted = new Configuration();
        untrusted.set(KafkaOptions.BOOTSTRAP_SERVERS, broker.tlsBootstrapServers());
        untrusted.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SSL);
        assertRefused(untrusted, org.apache.kafka.common.errors.SslAuthenticationException.class);
    }

    private static void send(Configuration config, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        KafkaFactories.clientProperties(config),
                        new StringSerializer(),
                        new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    private static List<String> values(String topic) {
        return broker.readCommitted(topic).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    private static void assertRefused(Configuration config, Class<? extends Exception> expected) {
        Properties properties = KafkaFactories.clientProperties(config);
        properties.put("max.block.ms", "10000");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("any", "v")).get())
                    .satisfies(
                            e ->
                                    assertThat(e instanceof ExecutionException ? e.getCause() : e)
                                            .isInstanceOf(expected));
        }
    }

    private static Configuration sasl(String password) {
        Configuration config = new Configuration();
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, broker.saslBootstrapServers());
        config.set(KafkaOptions.SECURITY_PROTOCOL, KafkaOptions.SecurityProtocol.SASL_PLAINTEXT);
        config.set(KafkaOptions.SASL_MECHANISM, KafkaOptions.SaslMechanism.PLAIN);
        config.set(KafkaOptions.SASL_USERNAME, "svc");
        config.set(KafkaOptions.SASL_PASSWORD, password);
        return config;
    }
}
