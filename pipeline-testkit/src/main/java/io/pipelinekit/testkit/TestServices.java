package io.pipelinekit.testkit;

import io.pipelinekit.testkit.internal.containers.ContainerServices;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.kafka.KafkaService;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.postgres.PostgresService;
import io.pipelinekit.testkit.s3.EmbeddedS3;
import io.pipelinekit.testkit.s3.S3Service;

import org.apache.flink.annotation.PublicEvolving;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The JVM-wide shared test services: each is started on first use, shared by every test in the JVM
 * (tests isolate themselves with their own topics, databases and buckets) and stopped when the JVM
 * exits.
 *
 * <p>The backend comes from {@code -Dpipelinekit.services} ({@link ServiceBackend}): embedded real
 * servers by default, Testcontainers on request.
 *
 * <pre>{@code
 * KafkaService kafka = TestServices.kafka();
 * String topic = kafka.createUniqueTopic("payments", 4);
 * }</pre>
 */
@PublicEvolving
public final class TestServices {

    private static final Map<ServiceBackend, KafkaService> KAFKA =
            new EnumMap<>(ServiceBackend.class);
    private static final Map<ServiceBackend, PostgresService> POSTGRES =
            new EnumMap<>(ServiceBackend.class);
    private static final Map<ServiceBackend, S3Service> S3 = new EnumMap<>(ServiceBackend.class);
    private static final List<AutoCloseable> STARTED = new ArrayList<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(TestServices::stopAll, "pipelinekit-services-stop"));
    }

    private TestServices() {}

    /** The shared Kafka broker of the selected backend. */
    public static KafkaService kafka() {
        return kafka(ServiceBackend.selected());
    }

    public static synchronized KafkaService kafka(ServiceBackend backend) {
        return shared(
                KAFKA,
                backend,
                () -> EmbeddedKafkaBroker.builder().build().start(),
                ContainerServices::kafka);
    }

    /** The shared PostgreSQL server of the selected backend. */
    public static PostgresService postgres() {
        return postgres(ServiceBackend.selected());
    }

    public static synchronized PostgresService postgres(ServiceBackend backend) {
        return shared(
                POSTGRES,
                backend,
                () -> EmbeddedPostgresServer.builder().build().start(),
                ContainerServices::postgres);
    }

    /** The shared S3 store of the selected backend. */
    public static S3Service s3() {
        return s3(ServiceBackend.selected());
    }

    public static synchronized S3Service s3(ServiceBackend backend) {
        return shared(
                S3, backend, () -> EmbeddedS3.builder().build().start(), ContainerServices::s3);
    }

    private static <T extends AutoCloseable> T shared(
            Map<ServiceBackend, T> instances,
            ServiceBackend backend,
            Supplier<T> embedded,
            Supplier<T> containers) {
        T service = instances.get(backend);
        if (service == null) {
            service = backend == ServiceBackend.EMBEDDED ? embedded.get() : containers.get();
            instances.put(backend, service);
            STARTED.add(service);
        }
        return service;
    }

    /** Stops every shared service; runs at JVM exit, callable earlier by a demo or a launcher. */
    public static synchronized void stopAll() {
        for (int i = STARTED.size() - 1; i >= 0; i--) {
            try {
                STARTED.get(i).close();
            } catch (Exception e) {
                System.err.println("pipelinekit: failed to stop " + STARTED.get(i) + ": " + e);
            }
        }
        STARTED.clear();
        KAFKA.clear();
        POSTGRES.clear();
        S3.clear();
    }
}
