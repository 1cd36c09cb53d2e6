package io.pipelinekit.testkit.s3;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An S3 outage: the endpoint refuses connections while down, then serves the same objects. */
class S3OutageITCase {

    private static EmbeddedS3 s3;

    @BeforeAll
    static void start() {
        s3 = EmbeddedS3.builder().build().start();
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void theEndpointFailsDuringAnOutageAndRecoversWithItsObjects() {
        String bucket = s3.createUniqueBucket("outage");
        s3.putObject(bucket, "checkpoints/chk-1/_metadata", "before the outage");
        URI endpoint = s3.endpoint();

        s3.kill();
        assertThat(s3.isRunning()).isFalse();
        assertThatThrownBy(() -> s3.getObjectAsString(bucket, "checkpoints/chk-1/_metadata"))
                .hasMessageContaining("Unable to execute HTTP request");
        assertThatThrownBy(() -> s3.putObject(bucket, "during", "x")).isNotNull();

        s3.restart();
        assertThat(s3.isRunning()).isTrue();
        assertThat(s3.endpoint()).isEqualTo(endpoint);
        assertThat(s3.getObjectAsString(bucket, "checkpoints/chk-1/_metadata"))
                .isEqualTo("before the outage");
        s3.putObject(bucket, "after", "written after the outage");
        assertThat(s3.listKeys(bucket, "")).contains("after", "checkpoints/chk-1/_metadata");
    }
}
