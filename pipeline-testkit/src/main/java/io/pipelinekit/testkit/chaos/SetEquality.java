package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares a pipeline's output with the expected output as multisets: what a {@code read_committed}
 * consumer sees must be exactly the expected records after the final drain ({@link #equality}), and
 * never more than them, nor any twice, while faults are still running ({@link #subset}).
 *
 * <pre>{@code
 * SetEquality.subset(expected, tail.values(v -> new String(v.value(), UTF_8))).assertHolds();
 * SetEquality.equality(expected, values(kafka.readCommitted(topic))).assertHolds();
 * }</pre>
 */
@PublicEvolving
public final class SetEquality {

    private SetEquality() {}

    /** {@code actual} holds every expected record exactly once and nothing else. */
    public static <T> SetEqualityResult equality(
            Collection<? extends T> expected, Collection<? extends T> actual) {
        return compare(expected, actual, false);
    }

    /**
     * {@code actual} holds no record twice and none that is not expected; some may still be missing
     * (output that has not arrived yet).
     */
    public static <T> SetEqualityResult subset(
            Collection<? extends T> expected, Collection<? extends T> actual) {
        return compare(expected, actual, true);
    }

    private static <T> SetEqualityResult compare(
            Collection<? extends T> expected, Collection<? extends T> actual, boolean subset) {
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(actual, "actual");
        Map<T, Long> wanted = new LinkedHashMap<>();
        for (T item : expected) {
            wanted.merge(item, 1L, Long::sum);
        }
        Map<T, Long> got = new LinkedHashMap<>();
        for (T item : actual) {
            got.merge(item, 1L, Long::sum);
        }
        long missing = 0;
        long duplicates = 0;
        long unexpected = 0;
        List<String> missingExamples = new ArrayList<>();
        List<String> duplicateExamples = new ArrayList<>();
        List<String> unexpectedExamples = new ArrayList<>();
        for (Map.Entry<T, Long> e : wanted.entrySet()) {
            long have = got.getOrDefault(e.getKey(), 0L);
            if (have < e.getValue()) {
                missing += e.getValue() - have;
                example(missingExamples, String.valueOf(e.getKey()));
            } else if (have > e.getValue()) {
                duplicates += have - e.getValue();
                example(duplicateExamples, e.getKey() + " x" + have);
            }
        }
        for (Map.Entry<T, Long> e : got.entrySet()) {
            if (!wanted.containsKey(e.getKey())) {
                unexpected += e.getValue();
                example(
                        unexpectedExamples,
                        e.getKey() + (e.getValue() > 1 ? " x" + e.getValue() : ""));
            }
        }
        return new SetEqualityResult(
                subset,
                expected.size(),
                actual.size(),
                missing,
                duplicates,
                unexpected,
                missingExamples,
                duplicateExamples,
                unexpectedExamples);
    }

    private static void example(List<String> examples, String text) {
        if (examples.size() < SequenceChecker.MAX_EXAMPLES) {
            examples.add(text);
        }
    }
}
