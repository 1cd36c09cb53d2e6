package io.pipelinekit.core.dlq.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterToleranceExceededException;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts failed records per stage and reason (metrics {@code deadLetters} and {@code
 * skippedRecords} under groups {@code stage} / {@code reason}) and enforces the policy's tolerance
 * within one subtask.
 */
@Internal
public final class FailureTracker {

    private final DeadLetterPolicy policy;
    private final String operatorUid;
    private final MetricGroup metrics;
    private final Map<String, Counter> counters = new HashMap<>();
    private final ArrayDeque<Failure> window = new ArrayDeque<>();

    public FailureTracker(DeadLetterPolicy policy, String operatorUid, MetricGroup metrics) {
        this.policy = policy;
        this.operatorUid = operatorUid;
        this.metrics = metrics;
    }

    /** Records a dead-lettered record; throws when the tolerance is exceeded. */
    public void deadLettered(FailureStage stage, String reason, Throwable cause) {
        counter("deadLetters", stage, reason).inc();
        checkTolerance(stage, reason, cause);
    }

    /** Records a skipped record; throws when the tolerance is exceeded. */
    public void skipped(FailureStage stage, String reason, Throwable cause) {
        counter("skippedRecords", stage, reason).inc();
        checkTolerance(stage, reason, cause);
    }

    private Counter counter(String name, FailureStage stage, String reason) {
        return counters.computeIfAbsent(
                name + "/" + stage + "/" + reason,
                k ->
                        metrics == null
                                ? new org.apache.flink.metrics.SimpleCounter()
                                : metrics.addGroup("stage", stage.name())
                                        .addGroup("reason", reason)
                                        .counter(name));
    }

    private void checkTolerance(FailureStage stage, String reason, Throwable cause) {
        long now = System.currentTimeMillis();
        long horizon = now - policy.toleranceWindow().toMillis();
        while (!window.isEmpty() && window.peekFirst().time < horizon) {
            window.pollFirst();
        }
        window.addLast(new Failure(now, stage + "/" + reason));
        if (window.size() > policy.toleranceCount()) {
            Map<String, Integer> byReason = new HashMap<>();
            window.forEach(f -> byReason.merge(f.key, 1, Integer::sum));
            String common =
                    byReason.entrySet().stream()
                            .max(Map.Entry.comparingByValue())
                            .map(e -> e.getKey() + " (" + e.getValue() + " times)")
                            .orElse(stage + "/" + reason);
            throw new DeadLetterToleranceExceededException(
                    "More than "
                            + policy.toleranceCount()
                            + " records failed within "
                            + policy.toleranceWindow()
                            + " in operator '"
                            + operatorUid
                            + "' of job '"
                            + policy.jobName()
                            + "'; most frequent: "
                            + common
                            + ", last: "
                            + stage
                            + "/"
                            + reason
                            + ". The job fails instead of dead-lettering everything: fix the cause"
                            + " (a bad deployment, a changed producer, an unreachable schema"
                            + " registry?) or raise the tolerance of the DeadLetterPolicy.",
                    cause);
        }
    }

    private static final class Failure {
        final long time;
        final String key;

        Failure(long time, String key) {
            this.time = time;
            this.key = key;
        }
    }
}
