package io.pipelinekit.testkit.flink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Versioned snapshots of an operator's state kept as test fixtures, the way Flink keeps operator
 * and serializer snapshots per release: every build restores the snapshots of every release a
 * running deployment may still have, so a change that would break restoring fails CI instead of
 * production.
 *
 * <p>A fixture is written once, by the release whose state it holds, with {@code
 * -Dfixtures.write=<version>}, and committed; a release that changes the operator's state adds its
 * version to the list the test restores, and the older ones stay.
 *
 * <pre>{@code
 * StateFixtures fixtures = StateFixtures.in(Path.of("src/test/resources/state-fixtures/scoring"));
 * for (String version : List.of("0.1", "0.2")) {
 *     for (StateFixtures.Backend backend : StateFixtures.Backend.values()) {
 *         OperatorSubtaskState state = fixtures.read(version, backend);
 *         // harness.setStateBackend(backend.create()); harness.initializeState(state); ...
 *     }
 * }
 * // when writing: fixtures.versionToWrite().ifPresent(v -> fixtures.write(v, backend, snapshot));
 * }</pre>
 */
@PublicEvolving
public final class StateFixtures {

    /** The system property that makes a test write this build's fixtures under a version. */
    public static final String WRITE_PROPERTY = "fixtures.write";

    /** The state backends a fixture is kept for: their snapshot formats differ. */
    public enum Backend {
        HASHMAP,
        ROCKSDB;

        /**
         * A state backend for an operator test harness. RocksDB takes full (not incremental)
         * snapshots, so a fixture is self-contained, and a fixed 64 MiB: the harness's task has
         * only a few MiB of managed memory.
         */
        public StateBackend create() {
            if (this == HASHMAP) {
                return new HashMapStateBackend();
            }
            EmbeddedRocksDBStateBackend rocksDb = new EmbeddedRocksDBStateBackend(false);
            rocksDb.getMemoryConfiguration().setFixedMemoryPerSlot(MemorySize.ofMebiBytes(64));
            return rocksDb;
        }

        String fileName(String version) {
            return "v" + version + "-" + name().toLowerCase(java.util.Locale.ROOT) + ".snapshot";
        }
    }

    private final Path directory;

    private StateFixtures(Path directory) {
        this.directory = directory;
    }

    /** Fixtures of one operator in {@code directory} (e.g. under {@code src/test/resources}). */
    public static StateFixtures in(Path directory) {
        return new StateFixtures(Objects.requireNonNull(directory, "directory"));
    }

    /** The version to write this build's fixtures under, if {@code -Dfixtures.write} is set. */
    public static Optional<String> versionToWrite() {
        String version = System.getProperty(WRITE_PROPERTY, "").trim();
        return version.isEmpty() ? Optional.empty() : Optional.of(version);
    }

    /** The fixture file of {@code version} on {@code backend}. */
    public Path file(String version, Backend backend) {
        return directory.resolve(backend.fileName(version));
    }

    /** Every (version, backend) pair of {@code versions}, for a parameterized test. */
    public static List<Object[]> combinations(List<String> versions) {
        List<Object[]> all = new ArrayList<>();
        for (String version : versions) {
            for (Backend backend : Backend.values()) {
                all.add(new Object[] {version, backend});
            }
        }
        return all;
    }

    /** Reads a fixture; fails with what to do when it is missing. */
    public OperatorSubtaskState read(String version, Backend backend) throws IOException {
        Path file = file(version, backend);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(
                    "No state fixture "
                            + file.toAbsolutePath()
                            + ": it is written by the release "
                            + version
                            + " itself (run the test with -D"
                            + WRITE_PROPERTY
                            + "="
                            + version
                            + " on that release's code and commit the file)");
        }
        try {
            return OperatorSnapshotUtil.readStateHandle(file.toString());
        } catch (ClassNotFoundException e) {
            throw new IOException("Cannot read state fixture " + file + ": " + e, e);
        }
    }

    /**
     * Writes a snapshot taken by this build as the fixture of {@code version}. Refuses to replace
     * an existing fixture: it stands for state of deployments that exist, and a build that changed
     * the state would silently make the test restore its own state instead.
     */
    public Path write(String version, Backend backend, OperatorSubtaskState snapshot)
            throws IOException {
        Path file = file(version, backend);
        if (Files.exists(file)) {
            throw new IllegalStateException(
                    "State fixture "
                            + file.toAbsolutePath()
                            + " exists; fixtures are never rewritten. Write this build's state"
                            + " under a new version (-D"
                            + WRITE_PROPERTY
                            + "=<next version>).");
        }
        Files.createDirectories(file.getParent());
        OperatorSnapshotUtil.writeStateHandle(snapshot, file.toString());
        return file;
    }
}
