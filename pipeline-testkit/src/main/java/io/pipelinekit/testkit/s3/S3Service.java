package io.pipelinekit.testkit.s3;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A running S3-compatible object store for tests, with bucket helpers and the Flink configuration
 * that makes {@code s3://} checkpoint paths work against it.
 */
@PublicEvolving
public interface S3Service extends AutoCloseable {

    /** The HTTP endpoint, e.g. {@code http://127.0.0.1:9000}. */
    URI endpoint();

    String accessKey();

    String secretKey();

    default String region() {
        return "us-east-1";
    }

    /** An S3 client (path-style) for this store, shared and closed with the service. */
    S3Client client();

    /** Stops the store. Shared instances are stopped by the test kit at JVM exit. */
    @Override
    void close();

    /** Creates a bucket. */
    default String createBucket(String name) {
        client().createBucket(b -> b.bucket(name));
        return name;
    }

    /** Creates a bucket with a unique name starting with {@code prefix}. */
    default String createUniqueBucket(String prefix) {
        return createBucket(prefix + "-" + UUID.randomUUID().toString().substring(0, 8));
    }

    default void putObject(String bucket, String key, String content) {
        client().putObject(
                        b -> b.bucket(bucket).key(key),
                        RequestBody.fromString(content, StandardCharsets.UTF_8));
    }

    default String getObjectAsString(String bucket, String key) {
        return client().getObjectAsBytes(b -> b.bucket(bucket).key(key))
                .asString(StandardCharsets.UTF_8);
    }

    /** All object keys under {@code prefix} (all pages). */
    default List<String> listKeys(String bucket, String prefix) {
        return client()
                .listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
                .contents()
                .stream()
                .map(S3Object::key)
                .collect(Collectors.toList());
    }

    /**
     * The {@code s3.*} options for Flink's S3 file systems ({@code flink-s3-fs-hadoop} or {@code
     * -presto}): endpoint, path-style access and credentials. Flink reads them only in {@code
     * FileSystem.initialize}, which a MiniCluster never calls: {@link
     * io.pipelinekit.testkit.flink.FlinkTestCluster} does.
     */
    default Configuration flinkConfiguration() {
        Configuration configuration = new Configuration();
        configuration.setString("s3.endpoint", endpoint().toString());
        configuration.setString("s3.path.style.access", "true");
        configuration.setString("s3.access-key", accessKey());
        configuration.setString("s3.secret-key", secretKey());
        configuration.setString("s3.connection.ssl.enabled", "false");
        return configuration;
    }
}
