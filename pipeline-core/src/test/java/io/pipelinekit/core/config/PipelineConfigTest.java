package io.pipelinekit.core.config;

import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.registry.SubjectNameStrategy;
import io.pipelinekit.core.sink.IdempotentSinkOptions;
import io.pipelinekit.core.sink.postgres.PostgresSinkOptions;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineConfigTest {

    private static final String SECRET = "s3cr3t-Pa55";

    @TempDir Path dir;

    @Test
    void argumentsBeatEnvironmentBeatsFileBeatsDefaults() throws IOException {
        Path file = dir.resolve("job.properties");
        Files.writeString(
                file,
                "schema-registry.url=http://from-file:8081\n"
                        + "schema-registry.cache.capacity=10\n"
                        + "dlq.topic=from-file\n");

        PipelineConfig config =
                loader().environment(
                                Map.of(
                                        "PIPELINEKIT_SCHEMA_REGISTRY_CACHE_CAPACITY", "20",
                                        "PIPELINEKIT_DLQ_TOPIC", "from-env"))
                        .args("--config", file.toString(), "--dlq.topic", "from-args")
                        .load();

        assertThat(config.get(SchemaRegistryOptions.URL)).isEqualTo("http://from-file:8081");
        assertThat(config.get(SchemaRegistryOptions.CACHE_CAPACITY)).isEqualTo(20);
        assertThat(config.get(DeadLetterOptions.TOPIC)).isEqualTo("from-args");
        assertThat(config.get(SchemaRegistryOptions.MAX_ATTEMPTS)).isEqualTo(5);
        assertThat(config.source("schema-registry.url")).isEqualTo(PipelineConfig.Source.FILE);
        assertThat(config.source("schema-registry.cache.capacity"))
                .isEqualTo(PipelineConfig.Source.ENVIRONMENT);
        assertThat(config.source("dlq.topic")).isEqualTo(PipelineConfig.Source.ARGUMENT);
        assertThat(config.source("schema-registry.retry.max-attempts"))
                .isEqualTo(PipelineConfig.Source.DEFAULT);
    }

    @Test
    void coreOptionsAcceptEveryBuildingBlocksKeys() {
        PipelineConfig config =
                PipelineConfig.loader()
                        .coreOptions()
                        .environment(Map.of("PIPELINEKIT_SINK_POSTGRES_PASSWORD", "s3cret"))
                        .require(DeadLetterOptions.TOPIC)
                        .args(
                                "--kafka.bootstrap-servers=broker:9092",
                                "--sink.postgres.url=jdbc:postgresql://db/x",
                                "--sink.batch.max-records=10",
                                "--checkpoint.storage=s3://bucket/checkpoints",
                                "--dlq.topic=job.dlq")
                        .load();
        assertThat(config.get(PostgresSinkOptions.URL)).isEqualTo("jdbc:postgresql://db/x");
        assertThat(config.get(PostgresSinkOptions.PASSWORD)).isEqualTo("s3cret");
        assertThat(config.get(IdempotentSinkOptions.BATCH_MAX_RECORDS)).isEqualTo(10);
        assertThat(PipelineConfig.secretValues(config.configuration())).containsExactly("s3cret");
        assertThatThrownBy(
                        () ->
                                PipelineConfig.loader()
                                        .coreOptions()
                                        .args("--no.such-option=1")
                                        .environment(Map.of())
                                        .load())
                .hasMessageContaining("no.such-option");
    }

    @Test
    void yamlFilesNestAndEnumsAndDurationsParse() throws IOException {
        Path file = dir.resolve("job.yaml");
        Files.writeString(
                file,
                "schema-registry:\n"
                        + "  url: http://registry:8081\n"
                        + "  subject-name-strategy: RECORD_NAME\n"
                        + "dlq:\n"
                        + "  tolerance.window: 30 s\n"
                        + "  redact-headers: [authorization, cookie]\n");

        PipelineConfig config = loader().args("--config=" + file).load();

        assertThat(config.get(SchemaRegistryOptions.SUBJECT_NAME_STRATEGY))
                .isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(config.get(DeadLetterOptions.TOLERANCE_WINDOW))
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(config.get(DeadLetterOptions.REDACT_HEADERS))
                .containsExactly("authorization", "cookie");
    }

    @Test
    void emptyYamlValuesLeaveOptionsUnset() throws IOException {
        Path file = dir.resolve("empty.yaml");
        Files.writeString(file, "dlq:\n  topic:\n");

        assertThatThrownBy(
                        () ->
                                loader().require(DeadLetterOptions.TOPIC)
                                        .args("--config", file.toString())
                                        .load())
                .hasMessageContaining("Missing required option dlq.topic")
                .hasMessageContaining("Kafka topic the job writes its dead letters to")
                .hasMessageNotContaining("Description@");
    }

    @Test
    void deliveryGuaranteesParseInFlinksSpelling() {
        PipelineConfig config =
                PipelineConfig.loader()
                        .options(io.pipelinekit.core.kafka.KafkaOptions.class)
                        .environment(Map.of())
                        .args("--kafka.sink.delivery-guarantee", "at-least-once")
                        .load();

        assertThat(config.get(io.pipelinekit.core.kafka.KafkaOptions.DELIVERY_GUARANTEE))
                .isEqualTo(org.apache.flink.connector.base.DeliveryGuarantee.AT_LEAST_ONCE);
    }

    @Test
    void secretValuesAreCollectedForMasking() {
        PipelineConfig config =
                loader().environment(
                                Map.of(
                                        "PIPELINEKIT_SCHEMA_REGISTRY_BASIC_AUTH_PASSWORD",
                                        SECRET,
                                        "PIPELINEKIT_SCHEMA_REGISTRY_BASIC_AUTH_USERNAME",
                                        "svc"))
                        .load();

        assertThat(PipelineConfig.secretValues(config.configuration())).contains(SECRET);
    }

    @Test
    void unknownKeysNameTheNearestValidKey() {
        assertThatThrownBy(() -> loader().args("--dlq.topik", "x").load())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unknown option 'dlq.topik' on the command line")
                .hasMessageContaining("Did you mean 'dlq.topic'?")
                .hasMessageContaining("Valid options: ");
    }

    @Test
    void badValuesNameTheKeyAndTheExpectedType() {
        assertThatThrownBy(() -> loader().args("--schema-registry.cache.capacity", "lots").load())
                .hasMessageContaining(
                        "Invalid value 'lots' for schema-registry.cache.capacity: expected"
                                + " Integer");
        assertThatThrownBy(() -> loader().args("--dlq.action.process", "IGNORE").load())
                .hasMessageContaining("expected one of FAIL, SKIP_AND_COUNT, DEAD_LETTER");
    }

    @Test
    void missingRequiredOptionsSayHowToSetThem() {
        assertThatThrownBy(() -> loader().require(SchemaRegistryOptions.URL).load())
                .hasMessageContaining("Missing required option schema-registry.url")
                .hasMessageContaining("PIPELINEKIT_SCHEMA_REGISTRY_URL");
    }

    @Test
    void secretsAreRefusedOnTheCommandLine() {
        assertThatThrownBy(
                        () -> loader().args("--schema-registry.basic-auth.password", SECRET).load())
                .hasMessageContaining("is a secret and may not be passed on the command line")
                .hasMessageContaining("PIPELINEKIT_SCHEMA_REGISTRY_BASIC_AUTH_PASSWORD")
                .hasMessageNotContaining(SECRET);
    }

    @Test
    void secretsComeFromEnvironmentOrFilesAndAreMaskedInDescriptionsErrorsAndLogs()
            throws IOException {
        Path secretFile = dir.resolve("password");
        Files.writeString(secretFile, SECRET + "\n");
        StringWriter logs = captureLogs();

        PipelineConfig fromFile =
                loader().environment(
                                Map.of(
                                        "PIPELINEKIT_SCHEMA_REGISTRY_BASIC_AUTH_USERNAME",
                                        "svc",
                                        "PIPELINEKIT_SCHEMA_REGISTRY_BASIC_AUTH_PASSWORD",
                                        "file:" + secretFile))
                        .load();
        PipelineConfig fromEnv =
                loader().environment(
                                Map.of(
                                        "PIPELINEKIT_SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD",
                                        SECRET))
                        .load();

        assertThat(fromFile.get(SchemaRegistryOptions.BASIC_AUTH_PASSWORD)).isEqualTo(SECRET);
        assertThat(fromEnv.get(SchemaRegistryOptions.TRUSTSTORE_PASSWORD)).isEqualTo(SECRET);
        assertThat(fromFile.describe())
                .contains("schema-registry.basic-auth.password")
                .contains("******")
                .doesNotContain(SECRET);
        assertThat(fromEnv.toString()).doesNotContain(SECRET);
        assertThat(logs.toString())
                .contains("Pipeline configuration")
                .contains("******")
                .doesNotContain(SECRET);

        // A secret of the wrong type is reported without its value.
        assertThatThrownBy(
                        () ->
                                PipelineConfig.loader()
                                        .options(SecretIntOptions.class)
                                        .environment(Map.of("PIPELINEKIT_TEST_TOKEN_COUNT", SECRET))
                                        .load())
                .hasMessageContaining("(secret, not shown)")
                .hasMessageNotContaining(SECRET)
                .hasNoCause();
    }

    @Test
    void deadLetterPolicyComesFromTheSameConfiguration() {
        PipelineConfig config =
                loader().args(
                                "--dlq.action.validate", "SKIP_AND_COUNT",
                                "--dlq.tolerance.max-failures", "5",
                                "--dlq.redact-fields", "email;phone")
                        .load();

        DeadLetterPolicy policy =
                DeadLetterPolicy.fromConfig("job", config.configuration(), SECRET);

        assertThat(policy.actionFor(FailureStage.VALIDATE)).isEqualTo(FailureAction.SKIP_AND_COUNT);
        assertThat(policy.actionFor(FailureStage.PROCESS)).isEqualTo(FailureAction.DEAD_LETTER);
        assertThat(policy.toleranceCount()).isEqualTo(5);
        assertThat(policy.redactedFields()).containsExactlyInAnyOrder("email", "phone");
        assertThat(policy.maskedSecrets()).containsExactly(SECRET);
    }

    /** An option whose key Flink considers sensitive ("token"). */
    public static final class SecretIntOptions {
        public static final org.apache.flink.configuration.ConfigOption<Integer> TOKEN_COUNT =
                org.apache.flink.configuration.ConfigOptions.key("test.token.count")
                        .intType()
                        .noDefaultValue()
                        .withDescription("A secret number.");
    }

    private static PipelineConfig.Loader loader() {
        return PipelineConfig.loader()
                .options(SchemaRegistryOptions.class, DeadLetterOptions.class)
                .environment(Map.of());
    }

    private static StringWriter captureLogs() {
        StringWriter out = new StringWriter();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        WriterAppender appender =
                WriterAppender.newBuilder()
                        .setName("capture-" + System.nanoTime())
                        .setTarget(out)
                        .setLayout(PatternLayout.newBuilder().withPattern("%m%n").build())
                        .build();
        appender.start();
        context.getConfiguration().addAppender(appender);
        LoggerConfig root = context.getConfiguration().getRootLogger();
        root.addAppender(appender, Level.ALL, null);
        LoggerConfig pipelineConfig =
                context.getConfiguration().getLoggerConfig(PipelineConfig.class.getName());
        if (pipelineConfig != root) {
            pipelineConfig.addAppender(appender, Level.ALL, null);
        }
        context.updateLoggers();
        return out;
    }
}
