package io.pipelinekit.testkit.flink;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Savepoint fixtures: a savepoint directory with facts and files, written once, read as a copy. */
class SavepointFixturesTest {

    @TempDir Path fixtures;
    @TempDir Path savepoints;

    @Test
    void aFixtureIsWrittenOnceAndReadBackAsACopy() throws Exception {
        Path savepoint = savepoint("savepoint-1a2b");
        SavepointFixtures store = SavepointFixtures.in(fixtures);

        Path written =
                store.write(
                        "0.2",
                        savepoint.resolve("_metadata").toUri().toString(),
                        Map.of("suffix", "fixture-v0.2", "kafka.end-offsets.orders", "3,0"),
                        Map.of("seen.txt", "a\nb".getBytes(StandardCharsets.UTF_8)));

        assertThat(written).isEqualTo(fixtures.resolve("v0.2"));
        assertThat(Files.readString(written.resolve("facts.properties")))
                .isEqualTo("kafka.end-offsets.orders=3,0\nsuffix=fixture-v0.2\n");
        SavepointFixtures.Fixture fixture = store.read("0.2");
        assertThat(fixture.facts())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("suffix", "fixture-v0.2", "kafka.end-offsets.orders", "3,0"));
        assertThat(new String(fixture.file("seen.txt"), StandardCharsets.UTF_8)).isEqualTo("a\nb");
        Path copy = Path.of(java.net.URI.create(fixture.savepointPath()));
        assertThat(copy).isNotEqualTo(written.resolve("savepoint"));
        assertThat(copy.resolve("_metadata")).hasContent("metadata");
        assertThat(copy.resolve("state-file")).hasContent("state");
        assertThatThrownBy(() -> fixture.fact("missing")).hasMessageContaining("no fact 'missing'");
        assertThatThrownBy(() -> store.write("0.2", savepoint.toString(), Map.of(), Map.of()))
                .hasMessageContaining("never rewritten")
                .hasMessageContaining("-Dfixtures.write=<next version>");
    }

    @Test
    void aMissingFixtureSaysWhoWritesIt() {
        assertThatThrownBy(() -> SavepointFixtures.in(fixtures).read("0.3"))
                .hasMessageContaining("v0.3")
                .hasMessageContaining("-Dfixtures.write=0.3");
    }

    @Test
    void onlyASavepointDirectoryAndPlainFactsAreKept() throws Exception {
        SavepointFixtures store = SavepointFixtures.in(fixtures);
        assertThatThrownBy(() -> store.write("0.2", savepoints.toString(), Map.of(), Map.of()))
                .hasMessageContaining("no _metadata");
        assertThatThrownBy(
                        () ->
                                store.write(
                                        "0.3",
                                        savepoint("sp").toString(),
                                        Map.of("a key", "v"),
                                        Map.of()))
                .hasMessageContaining("its key of letters");
    }

    private Path savepoint(String name) throws Exception {
        Path savepoint = Files.createDirectories(savepoints.resolve(name));
        Files.writeString(savepoint.resolve("_metadata"), "metadata");
        Files.writeString(savepoint.resolve("state-file"), "state");
        return savepoint;
    }
}
