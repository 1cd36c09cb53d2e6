package io.pipelinekit.testkit.chaos;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SetEqualityTest {

    private static final List<String> EXPECTED = List.of("a", "b", "c", "d");

    @Test
    void equalMultisetsHoldInAnyOrder() {
        SetEqualityResult result = SetEquality.equality(EXPECTED, List.of("d", "c", "b", "a"));
        assertThat(result.isClean()).isTrue();
        result.assertHolds();
    }

    @Test
    void equalityDetectsLossDuplicatesAndStrangers() {
        SetEqualityResult result = SetEquality.equality(EXPECTED, List.of("a", "b", "b", "x"));
        assertThat(result.isClean()).isFalse();
        assertThat(result.missing()).isEqualTo(2);
        assertThat(result.losses()).isEqualTo(2);
        assertThat(result.duplicates()).isEqualTo(1);
        assertThat(result.unexpected()).isEqualTo(1);
        assertThat(result.summary())
                .contains("missing (first 2): c, d")
                .contains("duplicated (first 1): b x2")
                .contains("unexpected (first 1): x");
        assertThatThrownBy(result::assertHolds).isInstanceOf(AssertionError.class);
    }

    @Test
    void aSubsetMayMissRecordsButNotRepeatOrInventThem() {
        assertThat(SetEquality.subset(EXPECTED, List.of("a", "c")).isClean()).isTrue();
        assertThat(SetEquality.subset(EXPECTED, List.of("a", "c")).losses()).isZero();
        SetEqualityResult duplicated = SetEquality.subset(EXPECTED, List.of("a", "a"));
        assertThat(duplicated.isClean()).isFalse();
        assertThat(duplicated.duplicates()).isEqualTo(1);
        assertThat(SetEquality.subset(EXPECTED, List.of("q")).isClean()).isFalse();
    }
}
