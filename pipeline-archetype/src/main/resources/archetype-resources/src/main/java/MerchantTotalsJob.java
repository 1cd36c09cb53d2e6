package ${package};

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.checkpoint.PipelineValidator;
import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterSink;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.core.dlq.GuardedFunctions;
import io.pipelinekit.core.dlq.ValidationResult;
import io.pipelinekit.core.kafka.KafkaFactories;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.core.sink.postgres.PostgresSinkOptions;
import io.pipelinekit.core.sink.postgres.PostgresUpsertSink;
import io.pipelinekit.core.time.EventTimeWatermarks;
import io.pipelinekit.core.time.LateRecords;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/** Payments per merchant and minute, upserted into PostgreSQL: the team job to make your own. */
public final class MerchantTotalsJob {

    public static final ConfigOption<String> INPUT_TOPIC =
            ConfigOptions.key("payments.topic")
                    .stringType()
                    .defaultValue("payments")
                    .withDescription(
                            "Topic of PaymentTransaction records (Confluent wire format).");

    public static void main(String[] args) throws Exception {
        PipelineConfig config =
                PipelineConfig.loader()
                        .options(MerchantTotalsJob.class)
                        .coreOptions()
                        .require(
                                KafkaOptions.BOOTSTRAP_SERVERS,
                                SchemaRegistryOptions.URL,
                                CheckpointOptions.STORAGE,
                                DeadLetterOptions.TOPIC,
                                PostgresSinkOptions.URL)
                        .args(args)
                        .load();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, config.configuration());
        env.execute("merchant-totals");
    }

    /** Builds the job on {@code env}; its sources and sinks come from {@code config}. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        CheckpointSettings checkpoints = CheckpointSettings.fromConfig(config);
        checkpoints.applyTo(env);
        DeadLetterPolicy policy =
                DeadLetterPolicy.fromConfig(
                        "merchant-totals", config, PipelineConfig.secretValues(config));

        SingleOutputStreamOperator<PaymentTransaction> payments =
                DeadLetters.fromSource(
                        env,
                        KafkaFactories.avroSource(
                                config,
                                PaymentTransaction.class,
                                policy,
                                "payments",
                                config.get(INPUT_TOPIC)),
                        EventTimeWatermarks.<PaymentTransaction>builder()
                                .timestamp((p, previous) -> p.getEventTime().toEpochMilli())
                                .maxOutOfOrderness(Duration.ofSeconds(5))
                                .idleness(Duration.ofSeconds(30))
                                .buildForDeadLetterSource(),
                        "payments");
        SingleOutputStreamOperator<PaymentTransaction> valid =
                GuardedFunctions.validate(payments, "validate", policy, MerchantTotalsJob::check);
        OutputTag<MerchantMinute> late = LateRecords.tag(MerchantMinute.TYPE);
        SingleOutputStreamOperator<MerchantMinute> totals =
                valid.map(MerchantMinute::of, MerchantMinute.TYPE)
                        .uid("to-minutes")
                        .name("to-minutes")
                        .keyBy(MerchantMinute::merchantId, Types.STRING)
                        .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
                        .sideOutputLateData(late)
                        .reduce(MerchantMinute::plus)
                        .uid("totals")
                        .name("totals");
        PostgresUpsertSink.<MerchantMinute>builder()
                .connection(config)
                .table("merchant_minute_totals")
                .keyColumns("merchant_id", "window_start")
                .column("merchant_id", MerchantMinute::merchantId)
                .column("window_start", t -> Instant.ofEpochMilli(t.windowStart()))
                .column("payments", MerchantMinute::payments)
                .column("amount", MerchantMinute::amount)
                // A window's count only grows (late firings), so it orders the versions of a row.
                .version("version", MerchantMinute::payments)
                .settings(IdempotentSinkSettings.fromConfig(config, policy).build())
                .build()
                .addTo(totals, "totals-postgres");

        DeadLetters.union(payments, valid)
                .union(LateRecords.toDeadLetters(totals.getSideOutput(late), policy, "late"))
                .sinkTo(DeadLetterSink.fromConfig(config))
                .uid("dead-letters")
                .name("dead-letters");
        PipelineValidator.validate(env, checkpoints);
    }

    static ValidationResult check(PaymentTransaction p) {
        return p.getAmount().signum() > 0
                ? ValidationResult.valid()
                : ValidationResult.invalid("NON_POSITIVE_AMOUNT", "amount " + p.getAmount());
    }

    /** One merchant's payments in one minute (a record: Flink serializes it as a POJO). */
    public record MerchantMinute(
            String merchantId, long windowStart, long payments, BigDecimal amount) {
        static final TypeInformation<MerchantMinute> TYPE =
                TypeInformation.of(MerchantMinute.class);

        static MerchantMinute of(PaymentTransaction p) {
            // windowStart: the start of the payment's tumbling minute.
            long minute = p.getEventTime().toEpochMilli() / 60_000 * 60_000;
            return new MerchantMinute(p.getMerchantId(), minute, 1, p.getAmount());
        }

        static MerchantMinute plus(MerchantMinute a, MerchantMinute b) {
            return new MerchantMinute(
                    a.merchantId, a.windowStart, a.payments + b.payments, a.amount.add(b.amount));
        }
    }
}
