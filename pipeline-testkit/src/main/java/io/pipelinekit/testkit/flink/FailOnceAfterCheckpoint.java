package io.pipelinekit.testkit.flink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pass-through map that throws once, in subtask 0, on the first record after a checkpoint
 * completed once at least {@code afterRecords} records went through it: the classic failure of
 * exactly-once tests (records after the checkpoint were sent but not committed, and are replayed).
 *
 * <p>State is JVM-wide under the injector's name (the function is serialized into the job): it is
 * meant for a {@link FlinkTestCluster} (MiniCluster) in the test's JVM, where {@link
 * #failures(String)} tells the test whether it fired.
 *
 * <pre>{@code
 * stream.map(FailOnceAfterCheckpoint.after("eos-test", 5_000)).returns(Types.LONG)
 *         .uid("fail-once").name("fail-once");
 * }</pre>
 */
@PublicEvolving
public final class FailOnceAfterCheckpoint<T> extends RichMapFunction<T, T>
        implements CheckpointListener {

    private static final long serialVersionUID = 1L;
    private static final Map<String, AtomicInteger> SEEN = new ConcurrentHashMap<>();
    private static final Map<String, AtomicBoolean> ARMED = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> FAILURES = new ConcurrentHashMap<>();

    private final String name;
    private final int afterRecords;
    private transient boolean failingSubtask;

    private FailOnceAfterCheckpoint(String name, int afterRecords) {
        this.name = name;
        this.afterRecords = afterRecords;
        SEEN.put(name, new AtomicInteger());
        ARMED.put(name, new AtomicBoolean());
        FAILURES.put(name, new AtomicInteger());
    }

    /** Fails once after a checkpoint that completed when {@code afterRecords} records passed. */
    public static <T> FailOnceAfterCheckpoint<T> after(String name, int afterRecords) {
        return new FailOnceAfterCheckpoint<>(name, afterRecords);
    }

    /** How many times the injector with this name has failed its task (0 or 1). */
    public static int failures(String name) {
        AtomicInteger failures = FAILURES.get(name);
        return failures == null ? 0 : failures.get();
    }

    @Override
    public void open(OpenContext context) {
        failingSubtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
    }

    @Override
    public T map(T value) {
        SEEN.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        if (failingSubtask
                && FAILURES.computeIfAbsent(name, k -> new AtomicInteger()).get() == 0
                && ARMED.computeIfAbsent(name, k -> new AtomicBoolean())
                        .compareAndSet(true, false)) {
            FAILURES.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            throw new IllegalStateException(
                    "Injected failure '" + name + "' after a completed checkpoint");
        }
        return value;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        if (failingSubtask
                && FAILURES.computeIfAbsent(name, k -> new AtomicInteger()).get() == 0
                && SEEN.computeIfAbsent(name, k -> new AtomicInteger()).get() >= afterRecords) {
            ARMED.computeIfAbsent(name, k -> new AtomicBoolean()).set(true);
        }
    }
}
