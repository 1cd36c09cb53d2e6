package io.pipelinekit.testkit.internal.containers;

import io.pipelinekit.testkit.ServiceUnavailableException;
import io.pipelinekit.testkit.kafka.KafkaService;
import io.pipelinekit.testkit.postgres.PostgresService;
import io.pipelinekit.testkit.s3.S3Service;

import org.apache.flink.annotation.Internal;

/**
 * Starts the Testcontainers variant of each service, after checking that the optional
 * Testcontainers dependencies and a Docker engine are there.
 */
@Internal
public final class ContainerServices {

    private ContainerServices() {}

    public static KafkaService kafka() {
        requireDocker("org.testcontainers:kafka", "org.testcontainers.kafka.KafkaContainer");
        return ContainerKafkaService.start();
    }

    public static PostgresService postgres() {
        requireDocker(
                "org.testcontainers:postgresql",
                "org.testcontainers.containers.PostgreSQLContainer");
        return ContainerPostgresService.start();
    }

    public static S3Service s3() {
        requireDocker("org.testcontainers:minio", "org.testcontainers.containers.MinIOContainer");
        return ContainerS3Service.start();
    }

    private static void requireDocker(String artifact, String containerClass) {
        try {
            Class.forName(containerClass, false, ContainerServices.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ServiceUnavailableException(
                    "-Dpipelinekit.services=containers needs "
                            + artifact
                            + " (test scope) on the classpath; pipeline-testkit declares it"
                            + " optional. Add it, or use the default embedded services.",
                    e);
        }
        if (!DockerCheck.dockerAvailable()) {
            throw new ServiceUnavailableException(
                    "-Dpipelinekit.services=containers needs a Docker engine and none is reachable"
                        + " here. Run without -Dpipelinekit.services (the embedded services need"
                        + " only a JDK) or start Docker.");
        }
    }

    /** Separate class so that Testcontainers is loaded only after the class check above. */
    private static final class DockerCheck {
        static boolean dockerAvailable() {
            try {
                return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
