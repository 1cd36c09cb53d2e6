package io.pipelinekit.testkit;

import org.apache.flink.annotation.PublicEvolving;

import java.util.Locale;

/** Where the test kit's services run: embedded real servers (default) or Docker containers. */
@PublicEvolving
public enum ServiceBackend {
    /** Real servers in child JVMs from Maven artifacts; needs only a JDK. */
    EMBEDDED,
    /** Testcontainers; needs a Docker engine and the optional Testcontainers dependencies. */
    CONTAINERS;

    /** The system property that selects the backend: {@code embedded} or {@code containers}. */
    public static final String PROPERTY = "pipelinekit.services";

    /** The backend selected by {@value #PROPERTY}, {@link #EMBEDDED} when unset. */
    public static ServiceBackend selected() {
        String value = System.getProperty(PROPERTY, "embedded").trim();
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "-D"
                            + PROPERTY
                            + "="
                            + value
                            + " is not a service backend: use 'embedded' (no Docker needed) or"
                            + " 'containers' (Testcontainers, needs Docker).",
                    e);
        }
    }
}
