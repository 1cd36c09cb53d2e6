package io.pipelinekit.core.registry;

import io.pipelinekit.core.registry.internal.RestSchemaRegistryClient;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;

import org.apache.avro.Schema;

import java.io.IOException;
import java.util.List;

/**
 * A client of a Confluent-compatible schema registry (Avro schemas): what serializers, the DLQ
 * replay tool and operators need. Ids and schemas are cached; unreachable registries are retried
 * with bounded exponential backoff. Registry failures raise {@link SchemaRegistryException} with a
 * reason; an interrupted call raises {@link java.io.InterruptedIOException}.
 *
 * <pre>{@code
 * Configuration conf = new Configuration();
 * conf.set(SchemaRegistryOptions.URL, "https://registry:8081");
 * SchemaRegistryClient registry = SchemaRegistryClient.create(conf);
 * int id = registry.register("payments-value", PaymentTransaction.getClassSchema());
 * }</pre>
 */
@PublicEvolving
public interface SchemaRegistryClient {

    /** A REST client for the registry configured by {@link SchemaRegistryOptions}. */
    static SchemaRegistryClient create(ReadableConfig config) {
        return RestSchemaRegistryClient.create(config);
    }

    /** Registers {@code schema} under {@code subject} (or finds it) and returns its global id. */
    int register(String subject, Schema schema) throws IOException;

    /** The id of {@code schema} under {@code subject}, without registering it. */
    int lookupId(String subject, Schema schema) throws IOException;

    /** The schema with a global id. */
    Schema schemaById(int id) throws IOException;

    /** The latest version registered under {@code subject}. */
    RegisteredSchema latest(String subject) throws IOException;

    /** A given version of {@code subject}. */
    RegisteredSchema version(String subject, int version) throws IOException;

    /** The versions registered under {@code subject}, oldest first. */
    List<Integer> versions(String subject) throws IOException;

    /** All subjects. */
    List<String> subjects() throws IOException;

    /**
     * Whether {@code schema} may be registered under {@code subject} by its compatibility level.
     */
    boolean isCompatible(String subject, Schema schema) throws IOException;

    /** The compatibility level of {@code subject} (the global one when it has none). */
    String compatibility(String subject) throws IOException;

    /** Sets the compatibility level of {@code subject} (e.g. {@code FULL_TRANSITIVE}). */
    void setCompatibility(String subject, String level) throws IOException;
}
