package io.pipelinekit.testkit.junit5;

import io.pipelinekit.testkit.ServiceBackend;
import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.s3.S3Service;

import org.apache.flink.annotation.PublicEvolving;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class its own bucket on the JVM-wide shared S3 store.
 *
 * <pre>{@code
 * @RegisterExtension static final S3Extension S3 = new S3Extension();
 *
 * @Test void upload() {
 *     S3.service().putObject(S3.bucket(), "a.txt", "hello");
 * }
 * }</pre>
 */
@PublicEvolving
public final class S3Extension extends SharedServiceExtension<S3Service> {

    private String bucket;

    /** Uses the backend selected by {@code -Dpipelinekit.services} (embedded by default). */
    public S3Extension() {
        this(ServiceBackend.selected());
    }

    public S3Extension(ServiceBackend backend) {
        super(backend, TestServices::s3);
    }

    /** This test class's own bucket. */
    public String bucket() {
        if (bucket == null) {
            throw new IllegalStateException("S3Extension not started yet");
        }
        return bucket;
    }

    @Override
    void createClassResources(S3Service service, ExtensionContext context) {
        bucket = service.createUniqueBucket(prefixFor(context));
    }

    @Override
    void dropClassResources(S3Service service) {
        // Buckets stay until the store stops: their contents help when a test fails.
        bucket = null;
    }
}
