package io.pipelinekit.core.registry;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;

/** Options of the Confluent-compatible schema registry client and the Avro wire format. */
@PublicEvolving
public final class SchemaRegistryOptions {

    public static final ConfigOption<String> URL =
            ConfigOptions.key("schema-registry.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Base URL of the Confluent-compatible schema registry, e.g."
                                    + " https://registry:8081. Several URLs may be given separated"
                                    + " by commas; they are tried in order.");

    public static final ConfigOption<String> BASIC_AUTH_USERNAME =
            ConfigOptions.key("schema-registry.basic-auth.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("User for HTTP basic authentication; none when unset.");

    public static final ConfigOption<String> BASIC_AUTH_PASSWORD =
            ConfigOptions.key("schema-registry.basic-auth.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Password for HTTP basic authentication (secret: never logged).");

    public static final ConfigOption<String> TRUSTSTORE_LOCATION =
            ConfigOptions.key("schema-registry.ssl.truststore.location")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Trust store with the registry's CA for https URLs; the JVM's default"
                                    + " trust store when unset.");

    public static final ConfigOption<String> TRUSTSTORE_PASSWORD =
            ConfigOptions.key("schema-registry.ssl.truststore.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Password of the trust store (secret: never logged).");

    public static final ConfigOption<String> TRUSTSTORE_TYPE =
            ConfigOptions.key("schema-registry.ssl.truststore.type")
                    .stringType()
                    .defaultValue("PKCS12")
                    .withDescription("Type of the trust store: PKCS12 or JKS.");

    public static final ConfigOption<SubjectNameStrategy> SUBJECT_NAME_STRATEGY =
            ConfigOptions.key("schema-registry.subject-name-strategy")
                    .enumType(SubjectNameStrategy.class)
                    .defaultValue(SubjectNameStrategy.TOPIC_NAME)
                    .withDescription(
                            "How subjects are named: TOPIC_NAME (<topic>-value), RECORD_NAME (the"
                                    + " record's full name) or TOPIC_RECORD_NAME.");

    public static final ConfigOption<Boolean> AUTO_REGISTER =
            ConfigOptions.key("schema-registry.auto-register")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Whether serializers register their schema under the subject. When"
                                    + " false the schema must already be registered (a schema"
                                    + " lookup), which is what production producers usually"
                                    + " want.");

    public static final ConfigOption<Integer> CACHE_CAPACITY =
            ConfigOptions.key("schema-registry.cache.capacity")
                    .intType()
                    .defaultValue(1000)
                    .withDescription("Schemas and ids kept in memory per client.");

    public static final ConfigOption<Duration> REQUEST_TIMEOUT =
            ConfigOptions.key("schema-registry.request-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Timeout of one HTTP request, including connecting.");

    public static final ConfigOption<Integer> MAX_ATTEMPTS =
            ConfigOptions.key("schema-registry.retry.max-attempts")
                    .intType()
                    .defaultValue(5)
                    .withDescription(
                            "Attempts per request when the registry is unreachable or answers"
                                    + " 5xx/429, before the record is dead-lettered with reason"
                                    + " REGISTRY_UNAVAILABLE.");

    public static final ConfigOption<Duration> INITIAL_BACKOFF =
            ConfigOptions.key("schema-registry.retry.initial-backoff")
                    .durationType()
                    .defaultValue(Duration.ofMillis(200))
                    .withDescription("Wait before the first retry; doubles on every retry.");

    public static final ConfigOption<Duration> MAX_BACKOFF =
            ConfigOptions.key("schema-registry.retry.max-backoff")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription("Upper bound of the wait between retries.");

    private SchemaRegistryOptions() {}
}
