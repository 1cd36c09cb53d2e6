package io.pipelinekit.testkit;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A test service cannot run in this environment (e.g. the containers backend without Docker); the
 * JUnit extensions turn it into a skipped test with this message, never a silent pass.
 */
@PublicEvolving
public final class ServiceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ServiceUnavailableException(String message) {
        super(message);
    }

    public ServiceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
