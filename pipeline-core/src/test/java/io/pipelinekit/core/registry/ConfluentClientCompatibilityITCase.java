package io.pipelinekit.core.registry;

import io.pipelinekit.testkit.IsolatedClassLoaders;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.configuration.Configuration;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URLClassLoader;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Proves the test kit's registry speaks the real Confluent protocol: Confluent's own client (the
 * relocated copy inside {@code flink-sql-avro-confluent-registry}, in an isolated class loader) and
 * our client use it side by side and agree on ids, versions, schemas and compatibility.
 */
class ConfluentClientCompatibilityITCase {

    private static final String SUBJECT = "orders-value";
    private static final Schema V1 =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .doc("An order.")
                    .fields()
                    .requiredString("id")
                    .requiredLong("quantity")
                    .endRecord();
    private static final Schema V2 =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .doc("An order.")
                    .fields()
                    .requiredString("id")
                    .requiredLong("quantity")
                    .optionalString("note")
                    .endRecord();
    private static final Schema V3 =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .doc("An order.")
                    .fields()
                    .requiredString("id")
                    .requiredLong("quantity")
                    .optionalString("note")
                    .optionalString("channel")
                    .endRecord();
    private static final Schema INCOMPATIBLE =
            SchemaBuilder.record("Order")
                    .namespace("io.pipelinekit.test")
                    .doc("An order.")
                    .fields()
                    .requiredString("id")
                    .requiredString("quantity")
                    .endRecord();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    private static URLClassLoader confluentClasses;

    @BeforeAll
    static void loadConfluentClient() {
        confluentClasses =
                IsolatedClassLoaders.forArtifacts(
                        IsolatedClassLoaders.pinnedArtifact("confluent.registry.client"),
                        IsolatedClassLoaders.pinnedArtifact("slf4j.api"));
    }

    @AfterAll
    static void closeClassLoader() throws Exception {
        confluentClasses.close();
    }

    @Test
    void confluentClientAndOursAgree() throws Exception {
        SchemaRegistryClient ours = ourClient();

        // Confluent registers v1; we see the same id, version and schema.
        int v1 = new ConfluentClient().register(SUBJECT, V1);
        assertThat(ours.schemaById(v1)).isEqualTo(V1);
        assertThat(ours.latest(SUBJECT)).isEqualTo(new RegisteredSchema(SUBJECT, 1, v1, V1));

        // We register v2; a fresh Confluent client (no cache) sees it the same way.
        int v2 = ours.register(SUBJECT, V2);
        ConfluentClient confluent = new ConfluentClient();
        assertThat(new Schema.Parser().parse(confluent.schemaById(v2))).isEqualTo(V2);
        assertThat(confluent.latestIdAndVersion(SUBJECT)).containsExactly(v2, 2);
        assertThat(confluent.versions(SUBJECT)).containsExactly(1, 2);
        assertThat(confluent.idOf(SUBJECT, V1)).isEqualTo(ours.lookupId(SUBJECT, V1)).isEqualTo(v1);
        assertThat(confluent.subjects()).containsExactly(SUBJECT);

        // Both read compatibility the same way, and the registry enforces it for both.
        assertThat(confluent.isCompatible(SUBJECT, INCOMPATIBLE))
                .isEqualTo(ours.isCompatible(SUBJECT, INCOMPATIBLE))
                .isFalse();
        assertThat(confluent.isCompatible(SUBJECT, V3))
                .isEqualTo(ours.isCompatible(SUBJECT, V3))
                .isTrue();
        assertThatThrownBy(() -> confluent.register(SUBJECT, INCOMPATIBLE))
                .hasMessageContaining("status 409");

        // A compatibility level set by Confluent's client is the one we read, and vice versa.
        confluent.setCompatibility(SUBJECT, "NONE");
        assertThat(ours.compatibility(SUBJECT)).isEqualTo("NONE");
        ours.setCompatibility(SUBJECT, "FULL_TRANSITIVE");
        assertThat(confluent.compatibility(SUBJECT)).isEqualTo("FULL_TRANSITIVE");

        // An unknown id is a 404 with error code 40403 for Confluent's client too.
        assertThatThrownBy(() -> new ConfluentClient().schemaById(9999))
                .hasMessageContaining("status 404")
                .hasMessageContaining("code 40403");
    }

    private static SchemaRegistryClient ourClient() {
        Configuration config = new Configuration();
        config.set(SchemaRegistryOptions.URL, REGISTRY.registry().url());
        return SchemaRegistryClient.create(config);
    }

    /** Confluent's {@code CachedSchemaRegistryClient}, driven by reflection. */
    private static final class ConfluentClient {
        private static final String PACKAGE =
                "org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry";
        private final Object client;
        private final Class<?> clientClass;
        private final Class<?> parsedSchema;

        ConfluentClient() throws Exception {
            clientClass =
                    confluentClasses.loadClass(PACKAGE + ".client.CachedSchemaRegistryClient");
            parsedSchema = confluentClasses.loadClass(PACKAGE + ".ParsedSchema");
            client =
                    clientClass
                            .getConstructor(String.class, int.class)
                            .newInstance(REGISTRY.registry().url(), 100);
        }

        int register(String subject, Schema schema) throws Exception {
            return (Integer)
                    call(
                            "register",
                            new Class<?>[] {String.class, parsedSchema},
                            subject,
                            avro(schema));
        }

        String schemaById(int id) throws Exception {
            Object parsed = call("getSchemaById", new Class<?>[] {int.class}, id);
            return (String) parsedSchema.getMethod("canonicalString").invoke(parsed);
        }

        List<Integer> latestIdAndVersion(String subject) throws Exception {
            Object metadata =
                    call("getLatestSchemaMetadata", new Class<?>[] {String.class}, subject);
            return List.of(
                    (Integer) metadata.getClass().getMethod("getId").invoke(metadata),
                    (Integer) metadata.getClass().getMethod("getVersion").invoke(metadata));
        }

        @SuppressWarnings("unchecked")
        List<Integer> versions(String subject) throws Exception {
            return (List<Integer>) call("getAllVersions", new Class<?>[] {String.class}, subject);
        }

        int idOf(String subject, Schema schema) throws Exception {
            return (Integer)
                    call(
                            "getId",
                            new Class<?>[] {String.class, parsedSchema},
                            subject,
                            avro(schema));
        }

        @SuppressWarnings("unchecked")
        List<String> subjects() throws Exception {
            return List.copyOf(
                    (java.util.Collection<String>) call("getAllSubjects", new Class<?>[0]));
        }

        boolean isCompatible(String subject, Schema schema) throws Exception {
            return (Boolean)
                    call(
                            "testCompatibility",
                            new Class<?>[] {String.class, parsedSchema},
                            subject,
                            avro(schema));
        }

        void setCompatibility(String subject, String level) throws Exception {
            call(
                    "updateCompatibility",
                    new Class<?>[] {String.class, String.class},
                    subject,
                    level);
        }

        String compatibility(String subject) throws Exception {
            return (String) call("getCompatibility", new Class<?>[] {String.class}, subject);
        }

        private Object avro(Schema schema) throws Exception {
            return confluentClasses
                    .loadClass(PACKAGE + ".avro.AvroSchema")
                    .getConstructor(String.class)
                    .newInstance(schema.toString());
        }

        /** Calls a client method; Confluent's RestClientException becomes a readable exception. */
        private Object call(String name, Class<?>[] types, Object... args) throws Exception {
            Method method = clientClass.getMethod(name, types);
            try {
                return method.invoke(client, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause.getClass().getSimpleName().equals("RestClientException")) {
                    int status = (Integer) cause.getClass().getMethod("getStatus").invoke(cause);
                    int code = (Integer) cause.getClass().getMethod("getErrorCode").invoke(cause);
                    throw new IllegalStateException(
                            "Confluent client: status "
                                    + status
                                    + ", code "
                                    + code
                                    + ": "
                                    + cause.getMessage(),
                            cause);
                }
                throw e;
            }
        }
    }
}
