package io.pipelinekit.testkit.junit5;

import io.pipelinekit.testkit.registry.EmbeddedSchemaRegistry;

import org.apache.flink.annotation.PublicEvolving;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Objects;

/**
 * Gives a test class its own in-process Confluent-compatible schema registry.
 *
 * <pre>{@code
 * @RegisterExtension static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();
 *
 * @Test void usesRegistry() {
 *     String url = REGISTRY.registry().url();
 * }
 * }</pre>
 */
@PublicEvolving
public final class SchemaRegistryExtension implements BeforeAllCallback, AfterAllCallback {

    private final EmbeddedSchemaRegistry.Builder builder;
    private EmbeddedSchemaRegistry registry;

    public SchemaRegistryExtension() {
        this(EmbeddedSchemaRegistry.builder());
    }

    public SchemaRegistryExtension(EmbeddedSchemaRegistry.Builder builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    public EmbeddedSchemaRegistry registry() {
        if (registry == null) {
            throw new IllegalStateException("SchemaRegistryExtension not started yet");
        }
        return registry;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        registry = builder.build().start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }
}
