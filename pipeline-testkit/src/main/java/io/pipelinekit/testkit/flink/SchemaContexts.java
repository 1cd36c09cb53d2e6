package io.pipelinekit.testkit.flink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;

/**
 * Contexts for opening (de)serialization schemas in unit tests, outside a running job.
 *
 * <pre>{@code
 * schema.open(SchemaContexts.deserialization());
 * }</pre>
 */
@PublicEvolving
public final class SchemaContexts {

    private SchemaContexts() {}

    /** A context with unregistered metrics and the test's class loader. */
    public static DeserializationSchema.InitializationContext deserialization() {
        return new DeserializationSchema.InitializationContext() {
            @Override
            public MetricGroup getMetricGroup() {
                return new UnregisteredMetricsGroup();
            }

            @Override
            public UserCodeClassLoader getUserCodeClassLoader() {
                return SimpleUserCodeClassLoader.create(SchemaContexts.class.getClassLoader());
            }
        };
    }
}
