package io.pipelinekit.testkit.chaos;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableEqualityTest {

    private static final List<String> COLUMNS = List.of("id", "quantity");

    private static List<String> row(String... values) {
        return Arrays.asList(values);
    }

    @Test
    void equalTablesHoldWhateverTheRowOrder() {
        TableEqualityResult result =
                TableEquality.compare(
                        COLUMNS,
                        List.of(row("1", "10"), row("2", "20")),
                        List.of(row("2", "20"), row("1", "10")),
                        1,
                        20);
        assertThat(result.isClean()).isTrue();
        result.assertHolds();
    }

    @Test
    void driftIsReportedAsADiff() {
        TableEqualityResult result =
                TableEquality.compare(
                        COLUMNS,
                        List.of(row("1", "10"), row("2", "20"), row("3", null)),
                        List.of(row("1", "11"), row("3", null), row("4", "40"), row("4", "41")),
                        1,
                        20);
        assertThat(result.isClean()).isFalse();
        assertThat(result.missing()).isEqualTo(1);
        assertThat(result.extra()).isEqualTo(1);
        assertThat(result.different()).isEqualTo(1);
        assertThat(result.duplicateKeys()).isEqualTo(1);
        assertThat(result.diff())
                .contains("- missing   id=2: [2, 20]")
                .contains("~ differs   id=1: quantity source=10 target=11")
                .contains("+ extra     id=4: [4, 40]")
                .contains("! duplicate key in target: [4]");
        assertThatThrownBy(result::assertHolds)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("missing 1, extra 1, different 1, duplicate keys 1");
    }

    @Test
    void aNullKeyIsNotTheTextNull() {
        TableEqualityResult result =
                TableEquality.compare(
                        COLUMNS, List.of(row(null, "10")), List.of(row("NULL", "10")), 1, 20);
        assertThat(result.isClean()).isFalse();
        assertThat(result.missing()).isEqualTo(1);
        assertThat(result.extra()).isEqualTo(1);
        assertThat(result.duplicateKeys()).isZero();
        TableEqualityResult bothNull =
                TableEquality.compare(
                        COLUMNS, List.of(row(null, "10")), List.of(row(null, "10")), 1, 20);
        assertThat(bothNull.isClean()).isTrue();
    }

    @Test
    void theDiffIsCapped() {
        TableEqualityResult result =
                TableEquality.compare(
                        COLUMNS,
                        List.of(row("1", "1"), row("2", "2"), row("3", "3")),
                        List.of(),
                        1,
                        2);
        assertThat(result.missing()).isEqualTo(3);
        assertThat(result.diff()).hasSize(2);
    }

    @Test
    void incompleteComparisonsFailWithWhatIsMissing() {
        assertThatThrownBy(() -> TableEquality.builder().keyColumns(0).build())
                .hasMessageContaining("source(connections, query) is missing")
                .hasMessageContaining("target(connections, query) is missing")
                .hasMessageContaining("keyColumns must be >= 1");
    }
}
