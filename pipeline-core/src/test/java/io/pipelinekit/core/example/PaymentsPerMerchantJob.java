package io.pipelinekit.core.example;

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
import io.pipelinekit.core.time.EventTimeWatermarks;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.time.Instant;

/**
 * The example of docs/core.md: payments per merchant and minute, with every block of the core. The
 * region between the tags is copied verbatim into the guide (DocsExampleTest checks it).
 */
public final class PaymentsPerMerchantJob {

    // tag::job[]
    /** The job's own options, next to the core's. */
    public static final class JobOptions {
        public static final ConfigOption<String> INPUT_TOPIC =
                ConfigOptions.key("payments.input-topic")
                        .stringType()
                        .defaultValue("payments")
                        .withDescription(
                                "Topic of PaymentTransaction records (Confluent wire format).");
        public static final ConfigOption<String> OUTPUT_TOPIC =
                ConfigOptions.key("payments.output-topic")
                        .stringType()
                        .defaultValue("payments-per-merchant")
                        .withDescription("Topic of 'merchant,minute,count' lines.");
    }

    public static void main(String[] args) throws Exception {
        PipelineConfig config =
                PipelineConfig.loader()
                        .options(
                                JobOptions.class,
                                KafkaOptions.class,
                                SchemaRegistryOptions.class,
                                CheckpointOptions.class,
                                DeadLetterOptions.class)
                        .require(
                                KafkaOptions.BOOTSTRAP_SERVERS,
                                SchemaRegistryOptions.URL,
                                CheckpointOptions.STORAGE,
                                DeadLetterOptions.TOPIC)
                        .args(args)
                        .load();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, config.configuration());
        env.execute("payments-per-merchant");
    }

    /** Builds the job on {@code env}; sources and sinks come from the configuration. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        CheckpointSettings checkpoints = CheckpointSettings.fromConfig(config);
        checkpoints.applyTo(env);
        DeadLetterPolicy policy =
                DeadLetterPolicy.fromConfig(
                        "payments-per-merchant", config, PipelineConfig.secretValues(config));

        SingleOutputStreamOperator<PaymentTransaction> payments =
                DeadLetters.fromSource(
                        env,
                        KafkaFactories.avroSource(
                                config,
                                PaymentTransaction.class,
                                policy,
                                "payments",
                                config.get(JobOptions.INPUT_TOPIC)),
                        EventTimeWatermarks.<PaymentTransaction>builder()
                                .timestamp((p, previous) -> p.getEventTime().toEpochMilli())
                                .maxOutOfOrderness(Duration.ofSeconds(5))
                                .idleness(Duration.ofSeconds(30))
                                .buildForDeadLetterSource(),
                        "payments");

        SingleOutputStreamOperator<PaymentTransaction> valid =
                payments.process(
                                GuardedFunctions.validate(
                                        "validate",
                                        policy,
                                        p ->
                                                p.getAmount().signum() > 0
                                                        ? ValidationResult.valid()
                                                        : ValidationResult.invalid(
                                                                "NON_POSITIVE_AMOUNT",
                                                                "amount " + p.getAmount())),
                                payments.getType())
                        .uid("validate")
                        .name("validate");

        valid.keyBy(PaymentTransaction::getMerchantId, Types.STRING)
                .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
                .aggregate(
                        new CountPayments(),
                        new FormatCount(),
                        Types.LONG,
                        Types.LONG,
                        Types.STRING)
                .uid("count-per-minute")
                .name("count-per-minute")
                .sinkTo(
                        KafkaFactories.sink(
                                config,
                                KafkaRecordSerializationSchema.<String>builder()
                                        .setTopic(config.get(JobOptions.OUTPUT_TOPIC))
                                        .setValueSerializationSchema(new SimpleStringSchema())
                                        .build()))
                .uid("counts")
                .name("counts");

        DeadLetters.union(payments, valid)
                .sinkTo(DeadLetterSink.fromConfig(config))
                .uid("dead-letters")
                .name("dead-letters");

        PipelineValidator.validate(env, checkpoints);
    }

    static final class CountPayments implements AggregateFunction<PaymentTransaction, Long, Long> {
        public Long createAccumulator() {
            return 0L;
        }

        public Long add(PaymentTransaction p, Long count) {
            return count + 1;
        }

        public Long getResult(Long count) {
            return count;
        }

        public Long merge(Long a, Long b) {
            return a + b;
        }
    }

    static final class FormatCount extends ProcessWindowFunction<Long, String, String, TimeWindow> {
        @Override
        public void process(
                String merchant, Context context, Iterable<Long> counts, Collector<String> out) {
            out.collect(
                    merchant
                            + ","
                            + Instant.ofEpochMilli(context.window().getStart())
                            + ","
                            + counts.iterator().next());
        }
    }
    // end::job[]
}
