package io.pipelinekit.testkit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceBackendTest {

    private final String previous = System.getProperty(ServiceBackend.PROPERTY);

    @AfterEach
    void restoreProperty() {
        if (previous == null) {
            System.clearProperty(ServiceBackend.PROPERTY);
        } else {
            System.setProperty(ServiceBackend.PROPERTY, previous);
        }
    }

    @Test
    void embeddedIsTheDefault() {
        System.clearProperty(ServiceBackend.PROPERTY);
        assertThat(ServiceBackend.selected()).isEqualTo(ServiceBackend.EMBEDDED);
    }

    @Test
    void containersCanBeSelectedCaseInsensitively() {
        System.setProperty(ServiceBackend.PROPERTY, " Containers ");
        assertThat(ServiceBackend.selected()).isEqualTo(ServiceBackend.CONTAINERS);
    }

    @Test
    void unknownBackendNamesTheChoices() {
        System.setProperty(ServiceBackend.PROPERTY, "docker");
        assertThatThrownBy(ServiceBackend::selected)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-Dpipelinekit.services=docker")
                .hasMessageContaining("'embedded'")
                .hasMessageContaining("'containers'");
    }
}
