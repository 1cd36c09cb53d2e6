package io.pipelinekit.testkit.chaos;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SequenceCheckerTest {

    private static void feed(SequenceChecker<String> checker, String key, long... seqs) {
        for (long seq : seqs) {
            checker.accept(key, seq);
        }
    }

    @Test
    void aCompleteOrderedOutputIsClean() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        feed(checker, "a", 0, 1, 2);
        feed(checker, "b", 0, 1);
        SequenceCheckResult result = checker.check(Map.of("a", 3L, "b", 2L));
        assertThat(result.isClean()).isTrue();
        assertThat(result.records()).isEqualTo(5);
        assertThat(result.expected()).isEqualTo(5);
        result.assertHolds();
        assertThat(result.summary()).contains("holds").contains("lost 0, duplicated 0");
    }

    @Test
    void detectsLossWithTheMissingRanges() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        feed(checker, "a", 0, 1, 5, 6, 8);
        SequenceCheckResult result = checker.check(Map.of("a", 10L, "b", 2L));
        assertThat(result.isClean()).isFalse();
        assertThat(result.losses()).isEqualTo(3 + 1 + 1 + 2);
        assertThat(result.summary())
                .contains("key a: 2..4 missing")
                .contains("key a: 7 missing")
                .contains("key a: 9 missing")
                .contains("key b: 0..1 missing");
        assertThatThrownBy(result::assertHolds)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("VIOLATED")
                .hasMessageContaining("lost 7");
    }

    @Test
    void detectsDuplicates() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        feed(checker, "a", 0, 1, 2, 1, 2, 3);
        SequenceCheckResult result = checker.check(Map.of("a", 4L));
        assertThat(result.duplicates()).isEqualTo(2);
        assertThat(result.losses()).isZero();
        assertThat(result.isClean()).isFalse();
        assertThat(result.summary()).contains("key a: 1 again (record #4)");
    }

    @Test
    void detectsReordering() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        feed(checker, "a", 0, 2, 1, 3);
        SequenceCheckResult result = checker.check(Map.of("a", 4L));
        assertThat(result.outOfOrder()).isEqualTo(1);
        assertThat(result.duplicates()).isZero();
        assertThat(result.losses()).isZero();
        assertThat(result.isClean()).isFalse();
        assertThat(result.summary()).contains("key a: 1 after 2");
    }

    @Test
    void detectsUnexpectedNumbersAndKeys() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        feed(checker, "a", 0, 1, 2);
        feed(checker, "z", 0);
        SequenceCheckResult result = checker.check(Map.of("a", 2L));
        assertThat(result.unexpected()).isEqualTo(2);
        assertThat(result.isClean()).isFalse();
        assertThat(result.summary())
                .contains("key a: 1 number(s) from 2, expected only 0..1")
                .contains("key z: 1 number(s) from 0, key not expected");
    }

    @Test
    void atLeastOnceToleratesRepeatsButNotLoss() {
        SequenceChecker<String> checker = SequenceChecker.atLeastOnce();
        // A replay from the last checkpoint: 2 and 3 again.
        feed(checker, "a", 0, 1, 2, 3, 2, 3, 4);
        SequenceCheckResult replayed = checker.check(Map.of("a", 5L));
        assertThat(replayed.duplicates()).isEqualTo(2);
        assertThat(replayed.isClean()).isTrue();
        assertThat(replayed.summary()).contains("repeats tolerated");

        feed(checker, "a", 6);
        SequenceCheckResult lost = checker.check(Map.of("a", 7L));
        assertThat(lost.losses()).isEqualTo(1);
        assertThat(lost.isClean()).isFalse();
    }

    @Test
    void theRunningCheckReportsGapsBelowTheHighestNumberOnly() {
        SequenceChecker<String> checker = SequenceChecker.exactlyOnce();
        feed(checker, "a", 0, 1, 2);
        assertThat(checker.check().isClean()).isTrue();
        feed(checker, "a", 4);
        SequenceCheckResult gap = checker.check();
        assertThat(gap.losses()).isEqualTo(1);
        assertThat(gap.name()).contains("so far");
    }

    @Test
    void acceptsItemsWithExtractors() {
        SequenceChecker<Integer> checker = SequenceChecker.exactlyOnce();
        checker.acceptAll(List.of(0L, 1L, 2L, 3L), n -> (int) (n % 2), n -> n / 2);
        assertThat(checker.check(Map.of(0, 2L, 1, 2L)).isClean()).isTrue();
        assertThatThrownBy(() -> checker.accept(1, -1)).hasMessageContaining("must be in [0, ");
    }
}
