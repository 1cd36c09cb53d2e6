package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

/**
 * The outcome of an invariant check ({@link SequenceChecker}, {@link SetEquality}, {@link
 * TableEquality}): an immutable value with a readable summary, which a test asserts with {@link
 * #assertHolds()}.
 */
@PublicEvolving
public interface InvariantResult {

    /** What was checked, e.g. {@code "per-key sequences (exactly-once)"}. */
    String name();

    /** Whether the invariant holds. */
    boolean isClean();

    /** Records (or rows) that should be there and are not. */
    long losses();

    /** Records (or rows) that are there more than once. */
    long duplicates();

    /** A readable account: counts and the first examples of each violation. */
    String summary();

    /** Throws an {@link AssertionError} with the {@link #summary()} unless the invariant holds. */
    default void assertHolds() {
        if (!isClean()) {
            throw new AssertionError(summary());
        }
    }
}
