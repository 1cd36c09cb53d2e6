package io.pipelinekit.testkit.s3;

import io.pipelinekit.testkit.junit5.S3Extension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Proves the embedded S3 store speaks the S3 API: put, get, list, missing keys. */
class S3ApiITCase {

    @RegisterExtension static final S3Extension S3 = new S3Extension();

    @Test
    void putGetAndList() {
        S3Service s3 = S3.service();
        String bucket = S3.bucket();

        s3.putObject(bucket, "checkpoints/job-1/chk-1/_metadata", "metadata");
        s3.putObject(bucket, "checkpoints/job-1/shared/state-1", "state");
        s3.putObject(bucket, "savepoints/sp-1/_metadata", "savepoint");

        assertThat(s3.getObjectAsString(bucket, "checkpoints/job-1/chk-1/_metadata"))
                .isEqualTo("metadata");
        assertThat(s3.listKeys(bucket, "checkpoints/"))
                .containsExactlyInAnyOrder(
                        "checkpoints/job-1/chk-1/_metadata", "checkpoints/job-1/shared/state-1");
        assertThat(s3.listKeys(bucket, "")).hasSize(3);
        assertThatThrownBy(() -> s3.getObjectAsString(bucket, "checkpoints/missing"))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void eachClassGetsItsOwnBucket() {
        assertThat(S3.service().client().listBuckets().buckets())
                .anySatisfy(b -> assertThat(b.name()).isEqualTo(S3.bucket()));
        assertThat(S3.bucket()).startsWith("s3apiitcase-");
    }
}
