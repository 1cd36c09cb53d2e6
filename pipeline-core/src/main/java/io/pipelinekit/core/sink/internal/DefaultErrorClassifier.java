package io.pipelinekit.core.sink.internal;

import io.pipelinekit.core.sink.ErrorClassifier;

import org.apache.flink.annotation.Internal;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/** {@link ErrorClassifier#DEFAULT}: transient for I/O and timeouts, permanent otherwise. */
@Internal
public final class DefaultErrorClassifier implements ErrorClassifier {

    private static final long serialVersionUID = 1L;

    @Override
    public Kind classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof TimeoutException) {
                return Kind.TRANSIENT;
            }
        }
        return Kind.PERMANENT;
    }
}
