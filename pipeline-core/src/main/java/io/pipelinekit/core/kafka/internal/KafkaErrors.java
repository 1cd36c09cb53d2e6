package io.pipelinekit.core.kafka.internal;

import io.pipelinekit.core.kafka.KafkaOptions;

import org.apache.flink.annotation.Internal;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import javax.annotation.Nullable;

import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns Kafka's authentication failures into messages that name the setting to fix. */
@Internal
public final class KafkaErrors {

    private static final Pattern USERNAME = Pattern.compile("username=\"([^\"]*)\"");

    private KafkaErrors() {}

    /**
     * What to fix when the brokers refused this client's credentials or TLS handshake, or null when
     * {@code failure} is something else. Never contains the password.
     */
    @Nullable
    public static String explainRefusal(Throwable failure, Properties clientProperties) {
        String servers = clientProperties.getProperty("bootstrap.servers");
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SaslAuthenticationException) {
                return "The Kafka brokers at "
                        + servers
                        + " refused the credentials of user '"
                        + username(clientProperties)
                        + "' (SASL mechanism "
                        + clientProperties.getProperty("sasl.mechanism")
                        + "): the job cannot start. Check "
                        + KafkaOptions.SASL_USERNAME.key()
                        + " and "
                        + KafkaOptions.SASL_PASSWORD.key()
                        + " (and that the user exists for that mechanism). Broker said: "
                        + t.getMessage();
            }
            if (t instanceof SslAuthenticationException) {
                return "The TLS handshake with the Kafka brokers at "
                        + servers
                        + " failed: the job cannot start. Either their certificate is not"
                        + " trusted by "
                        + KafkaOptions.TRUSTSTORE_LOCATION.key()
                        + " (add the broker's CA to it), or its host name does not match (see "
                        + KafkaOptions.HOSTNAME_VERIFICATION.key()
                        + "). Cause: "
                        + rootMessage(t);
            }
        }
        return null;
    }

    private static String username(Properties properties) {
        String jaas = properties.getProperty("sasl.jaas.config", "");
        Matcher m = USERNAME.matcher(jaas);
        return m.find() ? m.group(1) : "?";
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
