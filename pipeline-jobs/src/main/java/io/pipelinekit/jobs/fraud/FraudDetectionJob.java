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
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * fraud-detection: scores card payments from Kafka in event time with rules that change at runtime
 * (a compacted rule topic, broadcast to all scorers), keeps a bounded per-card history in RocksDB
 * with TTL, and writes alerts with deterministic ids to Kafka exactly-once.
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
        Configuration config =
                PipelineConfig.loader()
                        .options(OPTIONS)
                        .require(
                                KafkaOptions.BOOTSTRAP_SERVERS,
                                KafkaOptions.GROUP_ID,
                                SchemaRegistryOptions.URL,
                                CheckpointOptions.STORAGE,
                                DeadLetterOptions.TOPIC)
                        .args(args)
                        .load()
                        .configuration();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, config);
        env.execute(NAME);
    }

    /** Builds the job on {@code env}; all endpoints come from {@code config}. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        CheckpointSettings checkpoints = CheckpointSettings.fromConfig(config);
        checkpoints.applyTo(env);
        DeadLetterPolicy policy =
                DeadLetterPolicy.fromConfig(NAME, config, PipelineConfig.secretValues(config));
        Properties kafka = KafkaFactories.clientProperties(config);

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

        KafkaSource<Either<DeadLetter, FraudRule>> rulesSource =
                KafkaFactories.<Either<DeadLetter, FraudRule>>source(
                                config, config.get(FraudDetectionOptions.RULES_TOPIC))
                        // Every rule, from the beginning of the compacted topic, on a fresh start.
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(
                                DeadLetterKafkaDeserializer.wrap(
                                        ConfluentAvro.deserializer(FraudRule.class, config),
                                        policy,
                                        "rules"))
                        .build();
        SingleOutputStreamOperator<FraudRule> rules =
                DeadLetters.split(
                        env.fromSource(rulesSource, rulesNeverHoldBackEventTime(), "rules")
                                .uid("rules"),
                        "rules-split");
        BroadcastStream<FraudRule> broadcastRules = rules.broadcast(FraudScoringFunction.RULES);

        SingleOutputStreamOperator<FraudAlert> alerts =
                valid.keyBy(PaymentTransaction::getCardId, Types.STRING)
                        .connect(broadcastRules)
                        .process(
                                new FraudScoringFunction(
                                        config.get(FraudDetectionOptions.MAX_HISTORY),
                                        config.get(FraudDetectionOptions.MAX_HISTORY_AGE),
                                        config.get(FraudDetectionOptions.STATE_TTL)),
                                new AvroTypeInfo<>(FraudAlert.class))
                        .uid("score")
                        .name("score");

        String alertsTopic = config.get(FraudDetectionOptions.ALERTS_TOPIC);
        alerts.sinkTo(
                        ExactlyOnceKafkaSink.<FraudAlert>builder()
                                .kafkaProperties(kafka)
                                .transactionalIdPrefix(
                                        config.getOptional(KafkaOptions.TRANSACTIONAL_ID_PREFIX)
                                                .orElse(NAME + "." + alertsTopic))
                                .checkpointSettings(checkpoints)
                                .transactionTimeout(
                                        config.getOptional(KafkaOptions.TRANSACTION_TIMEOUT)
                                                .orElse(null))
                                .serializer(
                                        KafkaRecordSerializationSchema.<FraudAlert>builder()
                                                .setTopic(alertsTopic)
                                                .setKeySerializationSchema(
                                                        alert ->
                                                                alert.getCardId()
                                                                        .getBytes(
                                                                                StandardCharsets
                                                                                        .UTF_8))
                                                .setValueSerializationSchema(
                                                        ConfluentAvro.serializer(
                                                                FraudAlert.class,
                                                                alertsTopic,
                                                                config))
                                                .build())
                                .build())
                .uid("alerts-sink")
                .name("alerts-sink");

        DeadLetters.union(transactions, valid, rules)
                .sinkTo(
                        DeadLetterSink.builder()
                                .bootstrapServers(config.get(KafkaOptions.BOOTSTRAP_SERVERS))
                                .kafkaProperties(kafka)
                                .topic(config.get(DeadLetterOptions.TOPIC))
                                .build())
                .uid("dead-letter-sink")
                .name("dead-letter-sink");

        PipelineValidator.validate(env, checkpoints);
    }

    static ValidationResult validate(PaymentTransaction tx) {
        if (tx.getAmount().signum() <= 0) {
            return ValidationResult.invalid("NON_POSITIVE_AMOUNT", "amount " + tx.getAmount());
        }
        if (tx.getCardId().isBlank()) {
            return ValidationResult.invalid("MISSING_CARD", "transaction without a card id");
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
