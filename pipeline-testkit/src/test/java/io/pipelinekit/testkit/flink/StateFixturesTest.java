package io.pipelinekit.testkit.flink;

import io.pipelinekit.testkit.flink.StateFixtures.Backend;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fixture files: one per version and backend, written once, read back, never replaced. */
class StateFixturesTest {

    @TempDir Path directory;

    @Test
    void aFixtureIsWrittenOnceAndReadBack() throws Exception {
        StateFixtures fixtures = StateFixtures.in(directory);
        OperatorSubtaskState empty = OperatorSubtaskState.builder().build();

        Path file = fixtures.write("0.1", Backend.ROCKSDB, empty);

        assertThat(file).isEqualTo(directory.resolve("v0.1-rocksdb.snapshot")).exists();
        assertThat(fixtures.read("0.1", Backend.ROCKSDB).getManagedKeyedState()).isEmpty();
        assertThatThrownBy(() -> fixtures.write("0.1", Backend.ROCKSDB, empty))
                .hasMessageContaining("never rewritten")
                .hasMessageContaining("-Dfixtures.write=<next version>");
    }

    @Test
    void aMissingFixtureSaysWhoWritesIt() {
        assertThatThrownBy(() -> StateFixtures.in(directory).read("0.2", Backend.HASHMAP))
                .hasMessageContaining("v0.2-hashmap.snapshot")
                .hasMessageContaining("-Dfixtures.write=0.2");
    }

    @Test
    void everyVersionIsRestoredOnEveryBackend() {
        assertThat(StateFixtures.combinations(List.of("0.1", "0.2")))
                .extracting(pair -> pair[0] + "/" + pair[1])
                .containsExactly("0.1/HASHMAP", "0.1/ROCKSDB", "0.2/HASHMAP", "0.2/ROCKSDB");
    }
}
