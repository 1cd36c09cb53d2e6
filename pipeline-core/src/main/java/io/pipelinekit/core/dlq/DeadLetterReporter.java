package io.pipelinekit.core.dlq;

import io.pipelinekit.core.dlq.internal.DeadLetterFactory;
import io.pipelinekit.core.dlq.internal.FailureTracker;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.OutputTag;

import javax.annotation.Nullable;

import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Rejects records from inside any function (keyed, windowed, stateful) under a {@link
 * DeadLetterPolicy}: builds the envelope, counts it, enforces the tolerance, and hands the dead
 * letter to the caller for the {@link DeadLetters#TAG} side output.
 *
 * <pre>{@code
 * public void open(OpenContext context) {
 *     rejects = DeadLetterReporter.create(policy, "stock-levels", getRuntimeContext().getMetricGroup());
 * }
 * public void processElement(Change change, Context ctx, Collector<Level> out) {
 *     if (change.getQuantityAfter() < 0) {
 *         rejects.reject(change, FailureStage.VALIDATE, "NEGATIVE_STOCK", "quantity " + ..., ctx::output);
 *         return;
 *     }
 *     ...
 * }
 * }</pre>
 */
@PublicEvolving
public final class DeadLetterReporter {

    private final DeadLetterPolicy policy;
    private final DeadLetterFactory factory;
    private final FailureTracker tracker;

    private DeadLetterReporter(DeadLetterPolicy policy, String operatorUid, MetricGroup metrics) {
        this.policy = policy;
        this.factory = new DeadLetterFactory(policy, operatorUid);
        this.tracker = new FailureTracker(policy, operatorUid, metrics);
    }

    /** A reporter for the operator {@code operatorUid}, counting into {@code metrics}. */
    public static DeadLetterReporter create(
            DeadLetterPolicy policy, String operatorUid, @Nullable MetricGroup metrics) {
        return new DeadLetterReporter(policy, operatorUid, metrics);
    }

    /**
     * Rejects {@code input} under the policy's action for {@code stage}: the dead letter for
     * DEAD_LETTER, empty for SKIP_AND_COUNT.
     *
     * @throws DeadLetterToleranceExceededException when too many records failed
     * @throws IllegalStateException when the action is FAIL, with the reason
     */
    public Optional<DeadLetter> reject(
            Object input, FailureStage stage, String reason, String message) {
        FailureAction action = policy.actionFor(stage);
        if (action == FailureAction.FAIL) {
            throw new IllegalStateException(
                    stage
                            + " failed ("
                            + reason
                            + "): "
                            + message
                            + ". The dead-letter policy fails the job for "
                            + stage
                            + "; choose DEAD_LETTER to isolate such records instead.");
        }
        if (action == FailureAction.SKIP_AND_COUNT) {
            tracker.skipped(stage, reason, null);
            return Optional.empty();
        }
        DeadLetter letter = factory.fromInput(input, stage, reason, message, null);
        tracker.deadLettered(stage, reason, null);
        return Optional.of(letter);
    }

    /** Like {@link #reject(Object, FailureStage, String, String)}, emitting to {@code output}. */
    public void reject(
            Object input,
            FailureStage stage,
            String reason,
            String message,
            BiConsumer<OutputTag<DeadLetter>, DeadLetter> output) {
        reject(input, stage, reason, message)
                .ifPresent(letter -> output.accept(DeadLetters.TAG, letter));
    }
}
