package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A pass-through map that a {@link FaultInjector} (or a test) arms to throw on the first record
 * after the next completed checkpoint: records after that checkpoint were written but not
 * committed, and must be replayed exactly once. Unlike {@link
 * io.pipelinekit.testkit.flink.FailOnceAfterCheckpoint} it fails as often as it is armed.
 *
 * <p>State is JVM-wide under the operator's name (the function is serialized into the job): it
 * works on a {@link io.pipelinekit.testkit.flink.FlinkTestCluster} in the test's JVM. Whichever
 * subtask first sees a record after the checkpoint throws.
 *
 * <pre>{@code
 * stream.map(FailAfterCheckpoint.<Long>operator("chaos")).returns(Types.LONG).uid("chaos");
 * FailAfterCheckpoint.arm("chaos");   // or FaultInjector.builder(plan).operatorFailures("chaos")
 * }</pre>
 */
@PublicEvolving
public final class FailAfterCheckpoint<T> extends RichMapFunction<T, T>
        implements CheckpointListener {

    private static final long serialVersionUID = 1L;

    private enum State {
        IDLE,
        WAITING_FOR_CHECKPOINT,
        FIRING
    }

    private static final Map<String, AtomicReference<State>> STATES = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> FAILURES = new ConcurrentHashMap<>();

    private final String name;

    private FailAfterCheckpoint(String name) {
        this.name = name;
        state(name);
        failureCount(name);
    }

    /** A pass-through operator that fails when armed under {@code name}. */
    public static <T> FailAfterCheckpoint<T> operator(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("FailAfterCheckpoint needs a non-blank name");
        }
        return new FailAfterCheckpoint<>(name);
    }

    /** The next completed checkpoint makes the operator throw on its next record. */
    public static void arm(String name) {
        state(name).set(State.WAITING_FOR_CHECKPOINT);
    }

    /** Cancels an armed failure that has not fired yet. */
    public static void disarm(String name) {
        state(name).set(State.IDLE);
    }

    /** Whether a failure is armed and has not fired yet. */
    public static boolean isArmed(String name) {
        return state(name).get() != State.IDLE;
    }

    /** How many times the operator with this name has thrown. */
    public static int failures(String name) {
        return failureCount(name).get();
    }

    @Override
    public T map(T value) {
        if (state(name).compareAndSet(State.FIRING, State.IDLE)) {
            int count = failureCount(name).incrementAndGet();
            throw new InjectedFailureException(
                    "Injected failure #"
                            + count
                            + " of '"
                            + name
                            + "' after a completed checkpoint"
                            + subtask());
        }
        return value;
    }

    private String subtask() {
        try {
            return " (subtask " + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() + ")";
        } catch (IllegalStateException outsideAJob) {
            return "";
        }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        state(name).compareAndSet(State.WAITING_FOR_CHECKPOINT, State.FIRING);
    }

    private static AtomicReference<State> state(String name) {
        return STATES.computeIfAbsent(name, k -> new AtomicReference<>(State.IDLE));
    }

    private static AtomicInteger failureCount(String name) {
        return FAILURES.computeIfAbsent(name, k -> new AtomicInteger());
    }

    /** The exception an armed {@link FailAfterCheckpoint} throws. */
    @PublicEvolving
    public static final class InjectedFailureException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedFailureException(String message) {
            super(message);
        }
    }
}
