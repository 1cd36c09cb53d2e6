package io.pipelinekit.core.checkpoint;

import io.pipelinekit.testkit.flink.SequenceSource;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineValidatorTest {

    private static final CheckpointSettings SETTINGS =
            CheckpointSettings.builder(CheckpointPreset.BALANCED).storage("s3://b/cp").build();

    @Test
    void aWellFormedJobPasses() {
        StreamExecutionEnvironment env = env();
        strings(env).sinkTo(kafkaSink("job-a", Duration.ofMinutes(12))).uid("out").name("out");

        assertThatCode(() -> PipelineValidator.validate(env, SETTINGS)).doesNotThrowAnyException();
    }

    @Test
    void operatorsWithoutUidAreNamed() {
        StreamExecutionEnvironment env = env();
        strings(env)
                .map(String::trim)
                .returns(Types.STRING)
                .name("trim")
                .sinkTo(kafkaSink("job-a", Duration.ofMinutes(12)))
                .uid("out");

        assertThatThrownBy(() -> PipelineValidator.validate(env, SETTINGS))
                .isInstanceOf(InvalidPipelineException.class)
                .hasMessageContaining("Operator 'trim' has no uid");
    }

    @Test
    void transactionTimeoutMustOutlastCheckpointingAndRestarts() {
        StreamExecutionEnvironment env = env();
        strings(env).sinkTo(kafkaSink("job-a", Duration.ofMinutes(2))).uid("out").name("out");

        assertThatThrownBy(() -> PipelineValidator.validate(env, SETTINGS))
                .hasMessageContaining("transaction.timeout.ms=120000")
                .hasMessageContaining("its records would be lost")
                .hasMessageContaining("above 610000");
    }

    @Test
    void kafkaSinksDefaultOfOneHourExceedsTheBrokerLimit() {
        StreamExecutionEnvironment env = env();
        strings(env).sinkTo(kafkaSink("job-a", null)).uid("out").name("out");

        assertThatThrownBy(() -> PipelineValidator.validate(env, SETTINGS))
                .hasMessageContaining("transaction.timeout.ms=3600000")
                .hasMessageContaining("transaction.max.timeout.ms=900000");
        assertThatCode(() -> PipelineValidator.validate(env, SETTINGS, Duration.ofHours(2)))
                .doesNotThrowAnyException();
    }

    @Test
    void factorySinksWithDefaultOptionsFitLowLatencyAndBalancedButNotLargeState() {
        org.apache.flink.configuration.Configuration kafka =
                new org.apache.flink.configuration.Configuration();
        kafka.set(io.pipelinekit.core.kafka.KafkaOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        kafka.set(io.pipelinekit.core.kafka.KafkaOptions.TRANSACTIONAL_ID_PREFIX, "job-a");
        for (CheckpointPreset preset : CheckpointPreset.values()) {
            CheckpointSettings settings =
                    CheckpointSettings.builder(preset).storage("s3://b/cp").build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            settings.applyTo(env);
            strings(env)
                    .sinkTo(
                            io.pipelinekit.core.kafka.KafkaFactories.sink(
                                    kafka,
                                    KafkaRecordSerializationSchema.builder()
                                            .setTopic("out")
                                            .setValueSerializationSchema(new SimpleStringSchema())
                                            .build()))
                    .uid("out")
                    .name("out");
            if (preset == CheckpointPreset.LARGE_STATE) {
                assertThatThrownBy(() -> PipelineValidator.validate(env, settings))
                        .hasMessageContaining("above 2880000");
            } else {
                assertThatCode(() -> PipelineValidator.validate(env, settings))
                        .as("%s", preset)
                        .doesNotThrowAnyException();
            }
        }
    }

    @Test
    void operatorsPinnedWithAUidHashPass() {
        StreamExecutionEnvironment env = env();
        strings(env)
                .map(String::trim)
                .returns(Types.STRING)
                .setUidHash("0123456789abcdef0123456789abcdef")
                .name("trim")
                .sinkTo(kafkaSink("job-a", Duration.ofMinutes(12)))
                .uid("out")
                .name("out");

        assertThatCode(() -> PipelineValidator.validate(env, SETTINGS)).doesNotThrowAnyException();
    }

    @Test
    void transactionalIdPrefixesMustBeUnique() {
        StreamExecutionEnvironment env = env();
        DataStream<String> strings = strings(env);
        strings.sinkTo(kafkaSink("shared", Duration.ofMinutes(12))).uid("out-1").name("out-1");
        strings.sinkTo(kafkaSink("shared", Duration.ofMinutes(12))).uid("out-2").name("out-2");

        assertThatThrownBy(() -> PipelineValidator.validate(env, SETTINGS))
                .isInstanceOfSatisfying(
                        InvalidPipelineException.class, e -> assertThat(e.problems()).hasSize(1))
                .hasMessageContaining("share the transactional-id prefix 'shared'");
    }

    private static StreamExecutionEnvironment env() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SETTINGS.applyTo(env);
        return env;
    }

    private static DataStream<String> strings(StreamExecutionEnvironment env) {
        return env.fromSource(
                        SequenceSource.upTo(10, 1), WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers")
                .map(String::valueOf)
                .returns(Types.STRING)
                .uid("format")
                .name("format");
    }

    private static KafkaSink<String> kafkaSink(String prefix, Duration transactionTimeout) {
        Properties properties = new Properties();
        if (transactionTimeout != null) {
            properties.setProperty(
                    "transaction.timeout.ms", Long.toString(transactionTimeout.toMillis()));
        }
        return KafkaSink.<String>builder()
                .setBootstrapServers("localhost:9092")
                .setKafkaProducerConfig(properties)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(prefix)
                .setRecordSerializer(
                        KafkaRecordSerializationSchema.builder()
                                .setTopic("out")
                                .setValueSerializationSchema(new SimpleStringSchema())
                                .build())
                .build();
    }
}
