package io.pipelinekit.core.kafka.internal;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;

import java.util.Properties;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Authentication failures become messages that name the setting to fix, without secrets. */
class KafkaErrorsTest {

    private static Properties client() {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", "broker:9093");
        p.setProperty("sasl.mechanism", "SCRAM-SHA-512");
        p.setProperty(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"fraud\" password=\"s3cret-pw\";");
        return p;
    }

    @Test
    void refusedCredentialsNameTheUserAndTheOptionsButNotThePassword() {
        String message =
                KafkaErrors.explainRefusal(
                        new ExecutionException(
                                new SaslAuthenticationException("invalid credentials")),
                        client());
        assertThat(message)
                .contains("broker:9093", "user 'fraud'", "SCRAM-SHA-512")
                .contains("kafka.sasl.username", "kafka.sasl.password")
                .doesNotContain("s3cret-pw");
    }

    @Test
    void anUntrustedCertificateNamesTheTrustStore() {
        String message =
                KafkaErrors.explainRefusal(
                        new SslAuthenticationException(
                                "SSL handshake failed",
                                new RuntimeException("PKIX path building failed")),
                        client());
        assertThat(message)
                .contains("kafka.ssl.truststore.location", "PKIX path building failed")
                .doesNotContain("s3cret-pw");
    }

    @Test
    void otherFailuresAreNotExplainedAsRefusals() {
        assertThat(KafkaErrors.explainRefusal(new RuntimeException("timeout"), client())).isNull();
    }
}
