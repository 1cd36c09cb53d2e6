package io.pipelinekit.core.checkpoint;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/** A job failed {@link PipelineValidator}: every problem with what to change. */
@PublicEvolving
public final class InvalidPipelineException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    InvalidPipelineException(List<String> problems) {
        super(
                "The job is not safe to run ("
                        + problems.size()
                        + " problem(s)):\n  - "
                        + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
