package io.pipelinekit.core.kafka.internal;

import io.pipelinekit.core.checkpoint.CheckpointSettings;

import org.apache.flink.annotation.Internal;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** The rules an exactly-once Kafka sink's {@code transaction.timeout.ms} must follow. */
@Internal
public final class TransactionTimeouts {

    /** The brokers' default {@code transaction.max.timeout.ms}. */
    public static final Duration DEFAULT_BROKER_MAX = Duration.ofMinutes(15);

    private TransactionTimeouts() {}

    /** Adds to {@code problems} what is wrong with {@code timeout}, each with what to change. */
    public static void check(
            String sinkName,
            Duration timeout,
            CheckpointSettings settings,
            Duration brokerMax,
            List<String> problems) {
        Duration needed = settings.longestOpenTransaction();
        if (timeout.compareTo(needed) <= 0) {
            problems.add(
                    "Exactly-once Kafka sink '"
                            + sinkName
                            + "' has transaction.timeout.ms="
                            + timeout.toMillis()
                            + ", but a transaction may stay open for a checkpoint interval +"
                            + " (tolerated failed checkpoints + 1) x (timeout + minimum pause) +"
                            + " the longest restart backoff = "
                            + needed.toMillis()
                            + " ms: the broker would abort it and its records would be lost. Set"
                            + " transaction.timeout.ms above "
                            + needed.toMillis()
                            + ".");
        }
        if (timeout.compareTo(brokerMax) > 0) {
            problems.add(
                    "Exactly-once Kafka sink '"
                            + sinkName
                            + "' has transaction.timeout.ms="
                            + timeout.toMillis()
                            + ", above the brokers' transaction.max.timeout.ms="
                            + brokerMax.toMillis()
                            + ": producers fail to start. Lower it, or raise the brokers' limit.");
        }
    }

    /** Asks a broker for its {@code transaction.max.timeout.ms}. */
    public static Duration brokerMax(Properties clientProperties) {
        Properties admin = new Properties();
        admin.putAll(clientProperties);
        admin.putIfAbsent("request.timeout.ms", "15000");
        admin.putIfAbsent("default.api.timeout.ms", "30000");
        try (Admin client = Admin.create(admin)) {
            Node node =
                    client.describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next();
            ConfigResource broker =
                    new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(node.id()));
            Config config =
                    client.describeConfigs(List.of(broker))
                            .all()
                            .get(30, TimeUnit.SECONDS)
                            .get(broker);
            ConfigEntry entry = config.get("transaction.max.timeout.ms");
            return entry == null || entry.value() == null
                    ? DEFAULT_BROKER_MAX
                    : Duration.ofMillis(Long.parseLong(entry.value()));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String refused = KafkaErrors.explainRefusal(e, clientProperties);
            if (refused != null) {
                throw new IllegalStateException(refused, e);
            }
            throw new IllegalStateException(
                    "Cannot read transaction.max.timeout.ms from the Kafka brokers at "
                            + clientProperties.getProperty("bootstrap.servers")
                            + " ("
                            + e
                            + "): check the connection, or pass the brokers' limit with"
                            + " brokerMaxTransactionTimeout(...) instead of fetching it.",
                    e);
        }
    }
}
