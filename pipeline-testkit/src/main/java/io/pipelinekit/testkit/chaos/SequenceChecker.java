package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Checks per-key sequence numbers in a pipeline's output: each key's records carry the numbers
 * {@code 0, 1, 2, ...}, and the checker reports every gap (loss), duplicate and out-of-order
 * arrival, with examples.
 *
 * <p>{@link #exactlyOnce()}: each number exactly once and in order. {@link #atLeastOnce()}: repeats
 * (and the reordering that replays cause) are counted but tolerated; losses are not.
 *
 * <pre>{@code
 * SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
 * for (ConsumerRecord<byte[], byte[]> r : kafka.readCommitted(topic)) {
 *     checker.accept(key(r), sequence(r));
 * }
 * checker.check().assertHolds();                  // during faults: no gap below what arrived
 * checker.check(expectedCountPerKey).assertHolds(); // after the final drain: everything arrived
 * }</pre>
 *
 * <p>Thread-safe. Sequence numbers must be in {@code [0, Integer.MAX_VALUE)}.
 */
@PublicEvolving
public final class SequenceChecker<K> {

    /** Which delivery guarantee the output must meet. */
    @PublicEvolving
    public enum Mode {
        EXACTLY_ONCE,
        AT_LEAST_ONCE
    }

    static final int MAX_EXAMPLES = 10;

    private final Mode mode;
    private final Map<K, KeyState> keys = new LinkedHashMap<>();
    private long records;
    private long duplicates;
    private long outOfOrder;
    private final List<String> duplicateExamples = new ArrayList<>();
    private final List<String> outOfOrderExamples = new ArrayList<>();

    private SequenceChecker(Mode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /** Every number once and in order per key. */
    public static <K> SequenceChecker<K> exactlyOnce() {
        return new SequenceChecker<>(Mode.EXACTLY_ONCE);
    }

    /** Every number at least once per key; repeats are tolerated. */
    public static <K> SequenceChecker<K> atLeastOnce() {
        return new SequenceChecker<>(Mode.AT_LEAST_ONCE);
    }

    public Mode mode() {
        return mode;
    }

    /** Records one output record in arrival order. */
    public synchronized void accept(K key, long sequence) {
        Objects.requireNonNull(key, "key");
        if (sequence < 0 || sequence >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Sequence number of key "
                            + key
                            + " must be in [0, "
                            + Integer.MAX_VALUE
                            + "), was "
                            + sequence);
        }
        int seq = (int) sequence;
        KeyState state = keys.computeIfAbsent(key, k -> new KeyState());
        records++;
        if (state.seen.get(seq)) {
            duplicates++;
            example(
                    duplicateExamples,
                    "key " + key + ": " + seq + " again (record #" + records + ")");
        } else {
            state.seen.set(seq);
            if (seq < state.max) {
                outOfOrder++;
                example(
                        outOfOrderExamples,
                        "key "
                                + key
                                + ": "
                                + seq
                                + " after "
                                + state.max
                                + " (record #"
                                + records
                                + ")");
            }
        }
        state.max = Math.max(state.max, seq);
    }

    /** Records many items in order. */
    public <T> void acceptAll(
            Iterable<? extends T> items,
            Function<? super T, ? extends K> key,
            ToLongFunction<? super T> sequence) {
        for (T item : items) {
            accept(key.apply(item), sequence.applyAsLong(item));
        }
    }

    /** Records accepted so far. */
    public synchronized long records() {
        return records;
    }

    /**
     * The check so far, for output that is still arriving (e.g. read_committed during faults):
     * numbers missing below the highest one of their key are losses; nothing is expected beyond.
     */
    public synchronized SequenceCheckResult check() {
        Map<K, Long> expected = new LinkedHashMap<>();
        keys.forEach((key, state) -> expected.put(key, (long) state.max + 1));
        return check(expected, "so far");
    }

    /**
     * The final check: key {@code k} must have exactly the numbers {@code 0 .. expected.get(k)-1};
     * keys that are not in {@code expected} must not occur.
     */
    public synchronized SequenceCheckResult check(Map<K, Long> expectedCountPerKey) {
        Objects.requireNonNull(expectedCountPerKey, "expectedCountPerKey");
        return check(expectedCountPerKey, "final");
    }

    private SequenceCheckResult check(Map<K, Long> expected, String stage) {
        long lost = 0;
        long unexpected = 0;
        long expectedTotal = 0;
        List<String> lostExamples = new ArrayList<>();
        List<String> unexpectedExamples = new ArrayList<>();
        Set<K> all = new LinkedHashSet<>(expected.keySet());
        all.addAll(keys.keySet());
        for (K key : all) {
            long count = expected.getOrDefault(key, 0L);
            if (count < 0 || count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "Expected count of key " + key + " out of range: " + count);
            }
            expectedTotal += count;
            BitSet seen = keys.containsKey(key) ? keys.get(key).seen : new BitSet();
            int end = (int) count;
            int from = seen.nextClearBit(0);
            while (from < end) {
                int to = Math.min(end, nextSetOrEnd(seen, from));
                lost += to - from;
                example(
                        lostExamples,
                        "key "
                                + key
                                + ": "
                                + (to - from == 1 ? "" + from : from + ".." + (to - 1))
                                + " missing");
                from = seen.nextClearBit(to);
            }
            int beyond = seen.nextSetBit(end);
            if (beyond >= 0) {
                long extra = seen.get(end, seen.length()).cardinality();
                unexpected += extra;
                example(
                        unexpectedExamples,
                        "key "
                                + key
                                + ": "
                                + extra
                                + " number(s) from "
                                + beyond
                                + (expected.containsKey(key)
                                        ? ", expected only 0.." + (end - 1)
                                        : ", key not expected"));
            }
        }
        return new SequenceCheckResult(
                mode,
                stage,
                all.size(),
                records,
                expectedTotal,
                lost,
                duplicates,
                outOfOrder,
                unexpected,
                lostExamples,
                duplicateExamples,
                outOfOrderExamples,
                unexpectedExamples);
    }

    private static int nextSetOrEnd(BitSet bits, int from) {
        int next = bits.nextSetBit(from);
        return next < 0 ? Integer.MAX_VALUE : next;
    }

    private static void example(List<String> examples, String text) {
        if (examples.size() < MAX_EXAMPLES) {
            examples.add(text);
        }
    }

    private static final class KeyState {
        final BitSet seen = new BitSet();
        int max = -1;
    }
}
