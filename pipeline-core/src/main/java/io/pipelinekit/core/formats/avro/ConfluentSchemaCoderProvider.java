package io.pipelinekit.core.formats.avro;

import io.pipelinekit.core.formats.avro.internal.ConfluentWireSchemaCoder;
import io.pipelinekit.core.registry.SchemaRegistryClient;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.registry.internal.RestSchemaRegistryClient;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.SchemaCoder;

import java.util.Map;
import java.util.Objects;

/**
 * Creates the Confluent wire-format {@link SchemaCoder} for Flink's {@code
 * RegistryAvroSerializationSchema} / {@code RegistryAvroDeserializationSchema}. Serializable: it
 * carries the registry options and the topic; the registry client is created on the task manager
 * and shared by all subtasks with the same options.
 */
@PublicEvolving
public final class ConfluentSchemaCoderProvider implements SchemaCoder.SchemaCoderProvider {

    private static final long serialVersionUID = 1L;
    private final Map<String, String> registryOptions;
    private final String topic;
    private final boolean isKey;

    /**
     * @param registryOptions {@link SchemaRegistryOptions}
     * @param topic the topic, for subject names; may be null for readers, which only use ids
     * @param isKey whether the coder encodes record keys ({@code -key} subjects)
     */
    public ConfluentSchemaCoderProvider(
            ReadableConfig registryOptions, String topic, boolean isKey) {
        Objects.requireNonNull(registryOptions, "registryOptions");
        this.registryOptions = Map.copyOf(registryOptions.toMap());
        this.topic = topic;
        this.isKey = isKey;
        // Fail at job construction, not on the task manager, when the options are wrong. The
        // trust store is only loaded on the task managers, where its path must exist.
        RestSchemaRegistryClient.validate(Configuration.fromMap(this.registryOptions));
    }

    @Override
    public SchemaCoder get() {
        Configuration config = Configuration.fromMap(registryOptions);
        return new ConfluentWireSchemaCoder(
                SchemaRegistryClient.create(config),
                config.get(SchemaRegistryOptions.SUBJECT_NAME_STRATEGY),
                topic == null ? "" : topic,
                isKey,
                config.get(SchemaRegistryOptions.AUTO_REGISTER));
    }
}
