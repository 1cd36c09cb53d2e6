package io.pipelinekit.core.registry;

import io.pipelinekit.testkit.Ports;
import io.pipelinekit.testkit.registry.EmbeddedSchemaRegistry;

import org.apache.flink.configuration.Configuration;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our REST client against the test kit's in-process registry. */
class RestSchemaRegistryClientTest {

    private static final Schema V1 =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .fields()
                    .requiredString("id")
                    .requiredLong("quantity")
                    .endRecord();
    private static final Schema V2 =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .fields()
                    .requiredString("id")
                    .requiredLong("quantity")
                    .optionalString("note")
                    .endRecord();
    private static final Schema INCOMPATIBLE =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .fields()
                    .requiredString("id")
                    .requiredString("quantity")
                    .endRecord();

    private EmbeddedSchemaRegistry registry;

    @BeforeEach
    void start() throws Exception {
        registry = EmbeddedSchemaRegistry.builder().build().start();
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void registersLooksUpAndListsVersions() throws Exception {
        SchemaRegistryClient client = client(config());

        int v1 = client.register("orders-value", V1);
        int v2 = client.register("orders-value", V2);

        int requests = registry.requestCount();
        assertThat(client.register("orders-value", V1)).isEqualTo(v1);
        assertThat(client.lookupId("orders-value", V2)).isEqualTo(v2);
        assertThat(registry.requestCount()).as("answered from the cache").isEqualTo(requests);
        SchemaRegistryClient fresh = client(config());
        assertThat(fresh.lookupId("orders-value", V2)).isEqualTo(v2);
        assertThat(fresh.lookupId("orders-value", V1)).isEqualTo(v1);
        assertThat(registry.requestCount()).isEqualTo(requests + 2);
        assertThat(client.versions("orders-value")).containsExactly(1, 2);
        assertThat(client.latest("orders-value"))
                .isEqualTo(new RegisteredSchema("orders-value", 2, v2, V2));
        assertThat(client.version("orders-value", 1).schema()).isEqualTo(V1);
        assertThat(client.subjects()).containsExactly("orders-value");
        // The same schema under another subject keeps its global id.
        assertThat(client.register("archive-value", V1)).isEqualTo(v1);
    }

    @Test
    void cachesSchemasById() throws Exception {
        int id = registry.register("orders-value", V1);
        SchemaRegistryClient client = client(config());

        assertThat(client.schemaById(id)).isEqualTo(V1);
        int requests = registry.requestCount();
        for (int i = 0; i < 100; i++) {
            client.schemaById(id);
        }
        assertThat(registry.requestCount()).isEqualTo(requests);
    }

    @Test
    void compatibilityFollowsTheSubjectLevel() throws Exception {
        SchemaRegistryClient client = client(config());
        client.register("orders-value", V1);

        assertThat(client.isCompatible("orders-value", V2)).isTrue();
        assertThat(client.isCompatible("orders-value", INCOMPATIBLE)).isFalse();
        assertThatThrownBy(() -> client.register("orders-value", INCOMPATIBLE))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> {
                            assertThat(e.reason())
                                    .isEqualTo(SchemaRegistryException.Reason.INCOMPATIBLE_SCHEMA);
                            assertThat(e.httpStatus()).isEqualTo(409);
                        })
                .hasMessageContaining("quantity");

        client.setCompatibility("orders-value", "NONE");
        assertThat(client.compatibility("orders-value")).isEqualTo("NONE");
        assertThat(client.isCompatible("orders-value", INCOMPATIBLE)).isTrue();
        assertThat(client.compatibility("other-subject")).isEqualTo("BACKWARD");
    }

    @Test
    void missingThingsHaveReasons() {
        SchemaRegistryClient client = client(config());

        assertThatThrownBy(() -> client.schemaById(999))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(
                                                SchemaRegistryException.Reason.UNKNOWN_SCHEMA_ID));
        assertThatThrownBy(() -> client.latest("nope-value"))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(
                                                SchemaRegistryException.Reason.SUBJECT_NOT_FOUND));
        assertThatThrownBy(() -> client.lookupId("nope-value", V1))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(
                                                SchemaRegistryException.Reason
                                                        .SCHEMA_NOT_REGISTERED))
                .hasMessageContaining("auto-register");
    }

    @Test
    void retriesServerErrorsWithinItsBudget() throws Exception {
        registry.register("orders-value", V1);
        registry.failNextRequests(2);
        SchemaRegistryClient client = client(config());

        assertThat(client.latest("orders-value").version()).isEqualTo(1);
        // Two injected 503s, then the answer.
        assertThat(registry.requestCount()).isEqualTo(3);
    }

    @Test
    void failsOverToTheNextUrlAndStaysThere() throws Exception {
        registry.register("orders-value", V1);
        Configuration config = config();
        config.set(
                SchemaRegistryOptions.URL,
                "http://127.0.0.1:" + Ports.unused() + "," + registry.url());
        SchemaRegistryClient client = client(config);

        assertThat(client.latest("orders-value").version()).isEqualTo(1);
        assertThat(client.versions("orders-value")).containsExactly(1);
        assertThat(client.subjects()).containsExactly("orders-value");
        assertThat(registry.requestCount()).isEqualTo(3);
    }

    @Test
    void definiteAnswersAreNotRetried() throws Exception {
        SchemaRegistryClient client = client(config());
        client.register("orders-value", V1);
        int before = registry.requestCount();

        assertThatThrownBy(() -> client.register("orders-value", INCOMPATIBLE))
                .isInstanceOf(SchemaRegistryException.class);
        assertThatThrownBy(() -> client.latest("missing-value"))
                .isInstanceOf(SchemaRegistryException.class);
        assertThat(registry.requestCount()).isEqualTo(before + 2);
    }

    @Test
    void unreachableRegistryFailsAfterBoundedRetriesWithAClearMessage() throws Exception {
        Configuration config = config();
        config.set(SchemaRegistryOptions.URL, "http://127.0.0.1:" + Ports.unused());
        config.set(SchemaRegistryOptions.MAX_ATTEMPTS, 3);
        SchemaRegistryClient client = client(config);

        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(
                                                SchemaRegistryException.Reason
                                                        .REGISTRY_UNAVAILABLE))
                .hasMessageContaining("failed 3 times")
                .hasMessageContaining("schema-registry.url");
    }

    @Test
    void basicAuthentication() throws Exception {
        registry.close();
        registry = EmbeddedSchemaRegistry.builder().basicAuth("svc", "s3cret").build().start();

        Configuration good = config();
        good.set(SchemaRegistryOptions.BASIC_AUTH_USERNAME, "svc");
        good.set(SchemaRegistryOptions.BASIC_AUTH_PASSWORD, "s3cret");
        assertThat(client(good).register("orders-value", V1)).isPositive();

        Configuration bad = config();
        bad.set(SchemaRegistryOptions.BASIC_AUTH_USERNAME, "svc");
        bad.set(SchemaRegistryOptions.BASIC_AUTH_PASSWORD, "wrong");
        int before = registry.requestCount();
        assertThatThrownBy(() -> client(bad).subjects())
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(SchemaRegistryException.Reason.UNAUTHORIZED))
                .hasMessageNotContaining("wrong");
        // Refused credentials are not retried.
        assertThat(registry.requestCount()).isEqualTo(before + 1);
    }

    @Test
    void tlsWithTheRegistrysTrustStore() throws Exception {
        registry.close();
        registry = EmbeddedSchemaRegistry.builder().tls().build().start();
        assertThat(registry.url()).startsWith("https://");

        Configuration trusted = config();
        trusted.set(SchemaRegistryOptions.TRUSTSTORE_LOCATION, registry.truststore().toString());
        trusted.set(SchemaRegistryOptions.TRUSTSTORE_PASSWORD, registry.truststorePassword());
        assertThat(client(trusted).register("orders-value", V1)).isPositive();

        int before = registry.requestCount();
        assertThatThrownBy(() -> client(config()).subjects())
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(
                                                SchemaRegistryException.Reason
                                                        .REGISTRY_UNAVAILABLE))
                .hasMessageContaining("TLS handshake")
                .hasMessageContaining("schema-registry.ssl.truststore.location");
        assertThat(registry.requestCount()).isEqualTo(before);

        Configuration wrongPassword = config();
        wrongPassword.set(
                SchemaRegistryOptions.TRUSTSTORE_LOCATION, registry.truststore().toString());
        wrongPassword.set(SchemaRegistryOptions.TRUSTSTORE_PASSWORD, "wrong");
        assertThatThrownBy(() -> client(wrongPassword))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trust store");
    }

    @Test
    void configurationMistakesFailFast() {
        assertThatThrownBy(() -> SchemaRegistryClient.create(new Configuration()))
                .hasMessageContaining("schema-registry.url");
        Configuration ftp = new Configuration();
        ftp.set(SchemaRegistryOptions.URL, "ftp://registry");
        assertThatThrownBy(() -> SchemaRegistryClient.create(ftp)).hasMessageContaining("http://");
        Configuration halfAuth = config();
        halfAuth.set(SchemaRegistryOptions.BASIC_AUTH_USERNAME, "svc");
        assertThatThrownBy(() -> SchemaRegistryClient.create(halfAuth))
                .hasMessageContaining("schema-registry.basic-auth.password");
        Configuration noAttempts = config();
        noAttempts.set(SchemaRegistryOptions.MAX_ATTEMPTS, 0);
        assertThatThrownBy(() -> SchemaRegistryClient.create(noAttempts))
                .hasMessageContaining("schema-registry.retry.max-attempts must be positive");
        Configuration negativeBackoff = config();
        negativeBackoff.set(SchemaRegistryOptions.INITIAL_BACKOFF, Duration.ofMillis(-1));
        assertThatThrownBy(() -> SchemaRegistryClient.create(negativeBackoff))
                .hasMessageContaining("schema-registry.retry.initial-backoff");
    }

    private Configuration config() {
        Configuration config = new Configuration();
        config.set(SchemaRegistryOptions.URL, registry.url());
        config.set(SchemaRegistryOptions.INITIAL_BACKOFF, Duration.ofMillis(10));
        return config;
    }

    private static SchemaRegistryClient client(Configuration config) {
        return SchemaRegistryClient.create(config);
    }
}
