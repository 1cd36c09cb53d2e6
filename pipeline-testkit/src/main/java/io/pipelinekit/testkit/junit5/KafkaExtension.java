package io.pipelinekit.testkit.junit5;

import io.pipelinekit.testkit.ServiceBackend;
import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.kafka.KafkaService;

import org.apache.flink.annotation.PublicEvolving;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class the JVM-wide shared Kafka broker; tests create their own topics on it.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
 *
 * @Test void roundTrip() {
 *     String topic = KAFKA.service().createUniqueTopic("orders", 4);
 * }
 * }</pre>
 */
@PublicEvolving
public final class KafkaExtension extends SharedServiceExtension<KafkaService> {

    /** Uses the backend selected by {@code -Dpipelinekit.services} (embedded by default). */
    public KafkaExtension() {
        this(ServiceBackend.selected());
    }

    public KafkaExtension(ServiceBackend backend) {
        super(backend, TestServices::kafka);
    }

    /** Shorthand for {@code service().bootstrapServers()}. */
    public String bootstrapServers() {
        return service().bootstrapServers();
    }

    @Override
    void createClassResources(KafkaService service, ExtensionContext context) {}

    @Override
    void dropClassResources(KafkaService service) {}
}
