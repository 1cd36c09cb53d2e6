package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.checkpoint.PipelineValidator;
import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.dlq.DeadLetterKafkaDeserializer;
import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterSink;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.core.dlq.GuardedFunctions;
import io.pipelinekit.core.dlq.ValidationResult;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.kafka.ExactlyOnceKafkaSink;
import io.pipelinekit.core.kafka.KafkaFactories;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.time.EventTimeWatermarks;
import io.pipelinekit.jobs.fraud.internal.FraudScoringFunction;
import io.pipelinekit.jobs.fraud.internal.RuleUpdate;
import io.pipelinekit.jobs.fraud.internal.RuleUpdateDeserializer;
import io.pipelinekit.jobs.fraud.internal.RuleValidator;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.flink.util.function.SerializableFunction;

import org.apache.avro.specific.SpecificRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * fraud-detection: scores card payments from Kafka in event time with rules that change at runtime
 * (a compacted rule topic, broadcast to all scorers), keeps a bounded per-card history in keyed
 * state with TTL, and writes alerts with deterministic ids to Kafka exactly-once.
 *
 * <pre>
 * flink run -c io.pipelinekit.jobs.fraud.FraudDetectionJob pipeline-jobs.jar --config fraud.yaml
 * </pre>
 */
@PublicEvolving
public final class FraudDetectionJob {

    public static final String NAME = "fraud-detection";

    /** The option classes the job reads. */
    public static final Class<?>[] OPTIONS = {
        FraudDetectionOptions.class,
        KafkaOptions.class,
        SchemaRegistryOptions.class,
        CheckpointOptions.class,
        DeadLetterOptions.class
    };

    private FraudDetectionJob() {}

    public static void main(String[] args) throws Exception {
        Configuration config = loadConfig(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, config);
        env.execute(NAME);
    }

    /** Parses {@code --config file.yaml} and {@code --key value} arguments. */
    public static Configuration loadConfig(String[] args) {
        return loadConfig(args, System.getenv());
    }

    /**
     * Like {@link #loadConfig(String[])}, with {@code PIPELINEKIT_*} variables from {@code env}.
     */
    public static Configuration loadConfig(String[] args, Map<String, String> env) {
        return PipelineConfig.loader()
                .options(OPTIONS)
                .require(
                        KafkaOptions.BOOTSTRAP_SERVERS,
                        KafkaOptions.GROUP_ID,
                        SchemaRegistryOptions.URL,
                        CheckpointOptions.STORAGE,
                        DeadLetterOptions.TOPIC)
                .args(args)
                .environment(env)
                .load()
                .configuration();
    }

    /** Builds the job on {@code env}; all endpoints come from {@code config}. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        build(env, config, UnaryOperator.identity());
    }

    /**
     * Like {@link #build(StreamExecutionEnvironment, Configuration)}, with {@code beforeScoring}
     * applied to the valid payments on their way to the scorer: where a test puts an operator into
     * the job (a chaos test's {@code FailAfterCheckpoint}).
     */
    static void build(
            StreamExecutionEnvironment env,
            Configuration config,
            UnaryOperator<DataStream<PaymentTransaction>> beforeScoring) {
        CheckpointSettings checkpoints = CheckpointSettings.fromConfig(config);
        checkpoints.applyTo(env);
        DeadLetterPolicy policy =
                DeadLetterPolicy.fromConfig(NAME, config, PipelineConfig.secretValues(config));
        Properties kafka = KafkaFactories.clientProperties(config);
        // Transactions may stay open as long as the brokers allow (by default), so a preset with
        // long checkpoints works wherever the brokers permit it, and fails with the reason if not.
        Duration brokerMax = ExactlyOnceKafkaSink.brokerMaxTransactionTimeout(kafka);

        KafkaSource<Either<DeadLetter, PaymentTransaction>> transactionsSource =
                KafkaFactories.<Either<DeadLetter, PaymentTransaction>>source(
                                config, config.get(FraudDetectionOptions.TRANSACTIONS_TOPIC))
                        .setDeserializer(
                                DeadLetterKafkaDeserializer.wrap(
                                        ConfluentAvro.deserializer(
                                                PaymentTransaction.class, config),
                                        policy,
                                        "transactions"))
                        .build();
        SingleOutputStreamOperator<PaymentTransaction> transactions =
                DeadLetters.split(
                        env.fromSource(
                                        transactionsSource,
                                        EventTimeWatermarks.<PaymentTransaction>builder()
                                                .timestamp(
                                                        (tx, previous) ->
                                                                tx.getEventTime().toEpochMilli())
                                                .maxOutOfOrderness(
                                                        config.get(
                                                                FraudDetectionOptions
                                                                        .MAX_OUT_OF_ORDERNESS))
                                                .idleness(
                                                        config.get(FraudDetectionOptions.IDLENESS))
                                                .buildForDeadLetterSource(),
                                        "transactions")
                                .uid("transactions"),
                        "transactions-split");
        SingleOutputStreamOperator<PaymentTransaction> valid =
                transactions
                        .process(
                                GuardedFunctions.validate(
                                        "validate-transactions",
                                        policy,
                                        FraudDetectionJob::validate),
                                transactions.getType())
                        .uid("validate-transactions")
                        .name("validate-transactions");

        int maxHistory = config.get(FraudDetectionOptions.MAX_HISTORY);
        Duration maxHistoryAge = config.get(FraudDetectionOptions.MAX_HISTORY_AGE);
        KafkaSource<Either<DeadLetter, RuleUpdate>> rulesSource =
                KafkaFactories.<Either<DeadLetter, RuleUpdate>>source(
                                config, config.get(FraudDetectionOptions.RULES_TOPIC))
                        // Every rule, from the beginning of the compacted topic, on a fresh start.
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(
                                new RuleUpdateDeserializer(
                                        DeadLetterKafkaDeserializer.wrap(
                                                ConfluentAvro.deserializer(FraudRule.class, config),
                                                policy,
                                                "rules")))
                        .build();
        SingleOutputStreamOperator<RuleUpdate> rules =
                DeadLetters.split(
                        env.fromSource(rulesSource, rulesNeverHoldBackEventTime(), "rules")
                                .uid("rules"),
                        "rules-split");
        // Validated once here rather than in every scorer, so a bad definition is one dead letter.
        SingleOutputStreamOperator<RuleUpdate> validRules =
                rules.process(
                                GuardedFunctions.validate(
                                        "validate-rules",
                                        policy,
                                        new RuleValidator(maxHistory, maxHistoryAge)),
                                rules.getType())
                        .uid("validate-rules")
                        .name("validate-rules");
        BroadcastStream<RuleUpdate> broadcastRules =
                validRules.broadcast(FraudScoringFunction.RULES);

        SingleOutputStreamOperator<FraudAlert> alerts =
                beforeScoring
                        .apply(valid)
                        .keyBy(PaymentTransaction::getCardId, Types.STRING)
                        .connect(broadcastRules)
                        .process(
                                new FraudScoringFunction(
                                        maxHistory,
                                        maxHistoryAge,
                                        config.get(FraudDetectionOptions.STATE_TTL),
                                        policy),
                                new AvroTypeInfo<>(FraudAlert.class))
                        .uid("score")
                        .name("score");

        String alertsTopic = config.get(FraudDetectionOptions.ALERTS_TOPIC);
        String transactionalIdPrefix =
                config.getOptional(KafkaOptions.TRANSACTIONAL_ID_PREFIX)
                        .orElse(NAME + "." + alertsTopic);
        Duration transactionTimeout =
                config.getOptional(KafkaOptions.TRANSACTION_TIMEOUT).orElse(null);
        alerts.sinkTo(
                        ExactlyOnceKafkaSink.<FraudAlert>builder()
                                .kafkaProperties(kafka)
                                .transactionalIdPrefix(transactionalIdPrefix)
                                .checkpointSettings(checkpoints)
                                .transactionTimeout(transactionTimeout)
                                .brokerMaxTransactionTimeout(brokerMax)
                                .serializer(
                                        avroByCard(
                                                alertsTopic,
                                                FraudAlert.class,
                                                FraudAlert::getCardId,
                                                config))
                                .build())
                .uid("alerts-sink")
                .name("alerts-sink");

        config.getOptional(FraudDetectionOptions.LATE_TRANSACTIONS_TOPIC)
                .ifPresent(
                        lateTopic ->
                                alerts.getSideOutput(FraudScoringFunction.LATE)
                                        .sinkTo(
                                                ExactlyOnceKafkaSink.<PaymentTransaction>builder()
                                                        .kafkaProperties(kafka)
                                                        .transactionalIdPrefix(
                                                                transactionalIdPrefix + "-late")
                                                        .checkpointSettings(checkpoints)
                                                        .transactionTimeout(transactionTimeout)
                                                        .brokerMaxTransactionTimeout(brokerMax)
                                                        .brokerMaxTransactionTimeout(brokerMax)
                                                        .serializer(
                                                                avroByCard(
                                                                        lateTopic,
                                                                        PaymentTransaction.class,
                                                                        PaymentTransaction
                                                                                ::getCardId,
                                                                        config))
                                                        .build())
                                        .uid("late-transactions-sink")
                                        .name("late-transactions-sink"));

        DeadLetters.union(transactions, valid, rules, validRules, alerts)
                .sinkTo(DeadLetterSink.fromConfig(config))
                .uid("dead-letter-sink")
                .name("dead-letter-sink");

        PipelineValidator.validate(env, checkpoints, brokerMax);
    }

    /** Avro values in the Confluent wire format, keyed by card so a card's records stay ordered. */
    private static <T extends SpecificRecord> KafkaRecordSerializationSchema<T> avroByCard(
            String topic,
            Class<T> type,
            SerializableFunction<T, CharSequence> cardId,
            Configuration config) {
        return KafkaRecordSerializationSchema.<T>builder()
                .setTopic(topic)
                .setKeySerializationSchema(
                        record -> cardId.apply(record).toString().getBytes(StandardCharsets.UTF_8))
                .setValueSerializationSchema(ConfluentAvro.serializer(type, topic, config))
                .build();
    }

    static ValidationResult validate(PaymentTransaction tx) {
        if (tx.getAmount().signum() <= 0) {
            return ValidationResult.invalid("NON_POSITIVE_AMOUNT", "amount " + tx.getAmount());
        }
        if (tx.getCardId().isBlank()) {
            return ValidationResult.invalid("MISSING_CARD", "transaction without a card id");
        }
        if (tx.getLocation() != null
                && !(Math.abs(tx.getLocation().getLatitude()) <= 90
                        && Math.abs(tx.getLocation().getLongitude()) <= 180)) {
            return ValidationResult.invalid(
                    "INVALID_LOCATION",
                    "latitude "
                            + tx.getLocation().getLatitude()
                            + ", longitude "
                            + tx.getLocation().getLongitude());
        }
        return ValidationResult.valid();
    }

    /**
     * The rule stream carries no event time and is always idle for watermarks, so the scorer's
     * event time follows the transactions alone. (A MAX watermark instead would become the scorer's
     * event time whenever the transactions pause long enough to be idle, and every later
     * transaction would be late.)
     */
    private static <T> WatermarkStrategy<T> rulesNeverHoldBackEventTime() {
        return WatermarkStrategy.forGenerator(
                context ->
                        new WatermarkGenerator<T>() {
                            @Override
                            public void onEvent(T rule, long timestamp, WatermarkOutput output) {}

                            @Override
                            public void onPeriodicEmit(WatermarkOutput output) {
                                output.markIdle();
                            }
                        });
    }
}
