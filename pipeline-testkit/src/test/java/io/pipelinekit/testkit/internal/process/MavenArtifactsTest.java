package io.pipelinekit.testkit.internal.process;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MavenArtifactsTest {

    @Test
    void serverVersionsAreFilteredFromTheBuild() {
        assertThat(MavenArtifacts.serviceCoordinates("kafka.broker"))
                .matches("org\\.apache\\.kafka:kafka_2\\.13:\\d+\\.\\d+\\.\\d+");
        assertThat(MavenArtifacts.serviceCoordinates("s3proxy"))
                .matches("org\\.gaul:s3proxy:jar:jar-with-dependencies:\\d+\\.\\d+\\.\\d+");
        assertThat(MavenArtifacts.serviceCoordinates("embedded.postgres.binaries.version"))
                .matches("\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void unknownServiceIsAClearError() {
        assertThatThrownBy(() -> MavenArtifacts.serviceCoordinates("redis"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'redis'");
    }

    @Test
    void mirrorOverridesMavenCentral() {
        String previous = System.getProperty("pipelinekit.maven.repository");
        try {
            System.setProperty("pipelinekit.maven.repository", "https://mirror.example/maven2/");
            assertThat(MavenArtifacts.remoteRepository())
                    .isEqualTo("https://mirror.example/maven2/");
        } finally {
            if (previous == null) {
                System.clearProperty("pipelinekit.maven.repository");
            } else {
                System.setProperty("pipelinekit.maven.repository", previous);
            }
        }
    }
}
