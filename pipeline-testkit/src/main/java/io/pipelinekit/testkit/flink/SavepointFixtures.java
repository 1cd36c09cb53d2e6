package io.pipelinekit.testkit.flink;

import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Versioned savepoints of a whole job kept as test fixtures: every build restores the savepoint
 * each release took of the job and checks what the job does next, so a change that running
 * deployments could not restore (a renamed uid, a state or serializer change in any operator, a
 * connector whose split or committable format moved) fails CI instead of production.
 *
 * <p>Where {@link StateFixtures} pins one operator's state, a savepoint fixture pins the job: its
 * sources' offsets and splits, its sinks' transactions and every keyed and operator state. Next to
 * the savepoint a fixture keeps facts (the topic names and offsets the savepoint refers to, the
 * data it had seen) and data files, so that the test can rebuild the world the savepoint expects on
 * fresh services: see {@link io.pipelinekit.testkit.kafka.TopicPositions} for Kafka sources.
 *
 * <pre>{@code
 * SavepointFixtures fixtures = SavepointFixtures.in(Path.of("src/test/resources/savepoint-fixtures/my-job"));
 *
 * // written once, by the release whose savepoint it is (-Dfixtures.write=0.2):
 * String savepoint = cluster.stopWithSavepoint(job, Duration.ofMinutes(1));
 * fixtures.write("0.2", savepoint, TopicPositions.record(kafka, "orders"), Map.of("seen.csv", bytes));
 *
 * // restored by every build:
 * SavepointFixtures.Fixture fixture = fixtures.read("0.2");
 * TopicPositions.recreate(kafka, fixture.facts());
 * cluster.submitRestoring(env, "my-job", fixture.savepointPath());
 * }</pre>
 */
@PublicEvolving
public final class SavepointFixtures {

    /** The system property that makes a test write this build's fixture under a version. */
    public static final String WRITE_PROPERTY = StateFixtures.WRITE_PROPERTY;

    static final String SAVEPOINT = "savepoint";
    static final String FACTS = "facts.properties";

    private final Path directory;

    private SavepointFixtures(Path directory) {
        this.directory = directory;
    }

    /** Fixtures of one job in {@code directory} (e.g. under {@code src/test/resources}). */
    public static SavepointFixtures in(Path directory) {
        return new SavepointFixtures(Objects.requireNonNull(directory, "directory"));
    }

    /** The version to write this build's fixture under, if {@code -Dfixtures.write} is set. */
    public static Optional<String> versionToWrite() {
        return StateFixtures.versionToWrite();
    }

    /** The directory of {@code version}'s fixture. */
    public Path directory(String version) {
        return directory.resolve("v" + version);
    }

    /**
     * Keeps a savepoint taken by this build as the fixture of {@code version}, with facts about the
     * world it refers to and data files. Refuses to replace an existing fixture: it stands for
     * deployments that exist, and rewriting it would make the test restore this build's own
     * savepoint instead.
     *
     * @param savepointPointer the path {@code stopWithSavepoint} returned (a directory or its
     *     {@code _metadata} file, a path or a {@code file:} URI)
     */
    public Path write(
            String version,
            String savepointPointer,
            Map<String, String> facts,
            Map<String, byte[]> files)
            throws IOException {
        Path target = directory(version);
        if (Files.exists(target)) {
            throw new IllegalStateException(
                    "Savepoint fixture "
                            + target.toAbsolutePath()
                            + " exists; fixtures are never rewritten. Write this build's savepoint"
                            + " under a new version (-D"
                            + WRITE_PROPERTY
                            + "=<next version>).");
        }
        Path savepoint = savepointDirectory(savepointPointer);
        if (!Files.isRegularFile(savepoint.resolve("_metadata"))) {
            throw new IllegalArgumentException(
                    savepointPointer
                            + " is not a savepoint on the local file system (no _metadata): take"
                            + " the fixture's savepoint with a file: savepoint directory");
        }
        Files.createDirectories(target);
        copyTree(savepoint, target.resolve(SAVEPOINT));
        Files.writeString(target.resolve(FACTS), format(facts), StandardCharsets.UTF_8);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            if (file.getKey().equals(SAVEPOINT) || file.getKey().equals(FACTS)) {
                throw new IllegalArgumentException(file.getKey() + " is a reserved fixture name");
            }
            Files.write(target.resolve(file.getKey()), file.getValue());
        }
        return target;
    }

    /**
     * Reads the fixture of {@code version}: its savepoint is copied to a fresh temporary directory
     * (a restore in claim mode may delete the files it restored from) and its facts loaded. Fails
     * with what to do when the fixture is missing.
     */
    public Fixture read(String version) throws IOException {
        Path source = directory(version);
        if (!Files.isRegularFile(source.resolve(SAVEPOINT).resolve("_metadata"))) {
            throw new IllegalStateException(
                    "No savepoint fixture "
                            + source.toAbsolutePath()
                            + ": it is written by the release "
                            + version
                            + " itself (run the fixture test with -D"
                            + WRITE_PROPERTY
                            + "="
                            + version
                            + " on that release's code and commit the directory)");
        }
        Path copy = Files.createTempDirectory("savepoint-fixture-v" + version + "-");
        copyTree(source.resolve(SAVEPOINT), copy.resolve(SAVEPOINT));
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(source.resolve(FACTS))) {
            properties.load(reader);
        }
        Map<String, String> facts = new TreeMap<>();
        properties.forEach((key, value) -> facts.put((String) key, (String) value));
        return new Fixture(version, source, copy.resolve(SAVEPOINT), facts);
    }

    /** One version's fixture: a restorable copy of its savepoint, its facts and data files. */
    @PublicEvolving
    public static final class Fixture {
        private final String version;
        private final Path directory;
        private final Path savepoint;
        private final Map<String, String> facts;

        private Fixture(String version, Path directory, Path savepoint, Map<String, String> facts) {
            this.version = version;
            this.directory = directory;
            this.savepoint = savepoint;
            this.facts = Collections.unmodifiableMap(facts);
        }

        public String version() {
            return version;
        }

        /** The savepoint to restore from, a copy in a temporary directory. */
        public String savepointPath() {
            return savepoint.toUri().toString();
        }

        /** Every fact of the fixture. */
        public Map<String, String> facts() {
            return facts;
        }

        /** One fact; fails naming the fixture when it has none of that key. */
        public String fact(String key) {
            String value = facts.get(key);
            if (value == null) {
                throw new IllegalStateException(
                        "Savepoint fixture v" + version + " has no fact '" + key + "'");
            }
            return value;
        }

        /** A data file the fixture was written with; fails when it is missing. */
        public byte[] file(String name) throws IOException {
            Path file = directory.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException(
                        "Savepoint fixture v" + version + " has no file " + file.toAbsolutePath());
            }
            return Files.readAllBytes(file);
        }
    }

    private static Path savepointDirectory(String pointer) {
        Path path = pointer.contains(":") ? Path.of(URI.create(pointer)) : Path.of(pointer);
        return path.getFileName().toString().equals("_metadata") ? path.getParent() : path;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Facts as sorted {@code key=value} lines, readable in a diff and by {@link Properties}. */
    static String format(Map<String, String> facts) {
        StringBuilder out = new StringBuilder();
        Map<String, String> sorted = new LinkedHashMap<>(new TreeMap<>(facts));
        for (Map.Entry<String, String> fact : sorted.entrySet()) {
            String line = fact.getKey() + "=" + fact.getValue();
            if (line.contains("\n")
                    || line.contains("\\")
                    || !fact.getKey().matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(
                        "A fact must be one line without '\\', its key of letters, digits and"
                                + " '.', '_', '-': "
                                + line);
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }
}
