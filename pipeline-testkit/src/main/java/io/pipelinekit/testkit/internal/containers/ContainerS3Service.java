package io.pipelinekit.testkit.internal.containers;

import io.pipelinekit.testkit.internal.s3.S3Clients;
import io.pipelinekit.testkit.s3.S3Service;

import org.testcontainers.containers.MinIOContainer;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;

/** MinIO in a Docker container, same contract as the embedded S3Proxy. */
final class ContainerS3Service implements S3Service {

    static final String IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z";

    private final MinIOContainer container;
    private final S3Client client;

    private ContainerS3Service(MinIOContainer container) {
        this.container = container;
        this.client = S3Clients.create(endpoint(), accessKey(), secretKey(), region());
    }

    static ContainerS3Service start() {
        MinIOContainer container = new MinIOContainer(IMAGE);
        container.start();
        return new ContainerS3Service(container);
    }

    @Override
    public URI endpoint() {
        return URI.create(container.getS3URL());
    }

    @Override
    public String accessKey() {
        return container.getUserName();
    }

    @Override
    public String secretKey() {
        return container.getPassword();
    }

    @Override
    public S3Client client() {
        return client;
    }

    @Override
    public void close() {
        client.close();
        container.stop();
    }
}
