package io.pipelinekit.jobs.fraud;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;

/** Options of the fraud-detection job (next to the core's Kafka, checkpoint and DLQ options). */
@PublicEvolving
public final class FraudDetectionOptions {

    public static final ConfigOption<String> TRANSACTIONS_TOPIC =
            ConfigOptions.key("fraud.transactions-topic")
                    .stringType()
                    .defaultValue("payments.transactions")
                    .withDescription(
                            "Topic of PaymentTransaction records (Confluent wire format), keyed by"
                                    + " card.");

    public static final ConfigOption<String> RULES_TOPIC =
            ConfigOptions.key("fraud.rules-topic")
                    .stringType()
                    .defaultValue("fraud.rules")
                    .withDescription(
                            "Compacted topic of FraudRule definitions keyed by rule id; changes"
                                    + " take effect without a restart.");

    public static final ConfigOption<String> ALERTS_TOPIC =
            ConfigOptions.key("fraud.alerts-topic")
                    .stringType()
                    .defaultValue("fraud.alerts")
                    .withDescription(
                            "Topic of FraudAlert records, written exactly-once (read it with"
                                    + " isolation.level=read_committed).");

    public static final ConfigOption<String> LATE_TRANSACTIONS_TOPIC =
            ConfigOptions.key("fraud.late-transactions-topic")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Optional topic for late transactions (behind the watermark), written"
                                    + " exactly-once for review. They are scored by the rules"
                                    + " without a time window either way, and counted in the"
                                    + " lateTransactions metric.");

    public static final ConfigOption<Duration> MAX_OUT_OF_ORDERNESS =
            ConfigOptions.key("fraud.max-out-of-orderness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "How far behind the newest transaction one may arrive and still be"
                                    + " scored in event-time order; later ones are late.");

    public static final ConfigOption<Duration> IDLENESS =
            ConfigOptions.key("fraud.idleness")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription(
                            "A partition without transactions for this long stops holding back"
                                    + " event time.");

    public static final ConfigOption<Integer> MAX_HISTORY =
            ConfigOptions.key("fraud.history.max-transactions")
                    .intType()
                    .defaultValue(100)
                    .withDescription("Most earlier transactions kept per card for the rules.");

    public static final ConfigOption<Duration> MAX_HISTORY_AGE =
            ConfigOptions.key("fraud.history.max-age")
                    .durationType()
                    .defaultValue(Duration.ofDays(1))
                    .withDescription(
                            "Oldest transaction the rules look at (before the scored one); longer"
                                    + " than every rule window.");

    public static final ConfigOption<Duration> STATE_TTL =
            ConfigOptions.key("fraud.state-ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(30))
                    .withDescription(
                            "A card's state is dropped after this long without transactions.");

    private FraudDetectionOptions() {}
}
