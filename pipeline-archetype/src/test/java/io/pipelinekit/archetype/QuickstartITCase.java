package io.pipelinekit.archetype;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the commands of docs/quickstart.md: generates a team repository from this build's archetype
 * into a scratch folder and builds it there with its own tests, against this build's artifacts
 * staged in a local repository of their own (as {@code install} would put them).
 */
class QuickstartITCase {

    /** The modules a generated repository depends on, and the archetype itself. */
    private static final List<String> PUBLISHED =
            List.of("schemas", "pipeline-testkit", "pipeline-core", "pipeline-archetype");

    /** Most lines of its own code the generated job may need (see docs/quickstart.md). */
    private static final int MAX_JOB_LINES = 100;

    private static final Path ROOT = Paths.get(System.getProperty("pipelinekit.root"));
    private static final String VERSION = System.getProperty("pipelinekit.version");

    /** Kept when the test fails: the generated project, its reports and its target/test.log. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path scratch;

    @Test
    void theGeneratedRepositoryBuildsAndPassesItsTests() throws Exception {
        Path target = ROOT.resolve("pipeline-archetype/target/quickstart");
        Path repository = target.resolve("repository");
        stage(repository);
        Path settings = stagingSettings(target.resolve("settings.xml"), repository);

        String commands = quickstartCommands();
        assertThat(commands)
                .as("docs/quickstart.md generates from this version of the archetype")
                .contains("-DarchetypeVersion=" + VERSION);
        Path log = target.resolve("quickstart.log");
        ProcessBuilder bash =
                new ProcessBuilder("bash", "-euxo", "pipefail", "-c", commands)
                        .directory(scratch.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        bash.environment().put("PIPELINE_KIT", ROOT.toAbsolutePath().toString());
        // The user's repository stays the fallback for everything else (Flink, plugins).
        bash.environment()
                .put(
                        "MAVEN_ARGS",
                        "-B -s "
                                + settings.toAbsolutePath()
                                + " -Dmaven.repo.local.tail="
                                + System.getProperty("maven.repo.local"));
        Process process = bash.start();
        boolean finished = process.waitFor(20, TimeUnit.MINUTES);
        if (!finished) {
            // The nested Maven builds and their Kafka, PostgreSQL and Flink JVMs too.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        assertThat(finished && process.exitValue() == 0)
                .as("the quickstart commands succeed; the end of %s:%n%s", log, tail(log, 60))
                .isTrue();

        Path project = scratch.resolve("payments-job");
        assertThat(failsafeResults(project))
                .as("the generated ITCases ran and passed")
                .containsEntry(
                        "com.example.payments.MerchantTotalsJobITCase",
                        "tests=2 failures=0 errors=0 skipped=0");
        Path jar = project.resolve("target/payments-job-1.0-SNAPSHOT.jar");
        assertJobJar(jar);
        assertBuiltFromThisBuild(jar);
        assertUsesOnlyPublicApi(project);
        assertThat(
                        ownLines(
                                project.resolve(
                                        "src/main/java/com/example/payments/MerchantTotalsJob.java")))
                .as("lines of the generated job's own code")
                .isLessThanOrEqualTo(MAX_JOB_LINES);
    }

    /**
     * The user's Maven settings (mirrors, proxies) with {@code repository} as local repository. Not
     * {@code -Dmaven.repo.local}: the generated tests would inherit it and the test kit would
     * download its servers into the staging repository.
     */
    private static Path stagingSettings(Path file, Path repository) throws IOException {
        Path user = Paths.get(System.getProperty("user.home"), ".m2", "settings.xml");
        String settings =
                Files.exists(user)
                        ? Files.readString(user, StandardCharsets.UTF_8)
                        : "<settings>\n</settings>\n";
        settings = settings.replaceAll("(?s)<localRepository>.*?</localRepository>", "");
        Matcher open = Pattern.compile("<settings[^>]*>").matcher(settings);
        assertThat(open.find()).as("a <settings> element in %s", user).isTrue();
        settings =
                settings.substring(0, open.end())
                        + "<localRepository>"
                        + repository.toAbsolutePath()
                        + "</localRepository>"
                        + settings.substring(open.end());
        Files.writeString(file, settings, StandardCharsets.UTF_8);
        return file;
    }

    /** Copies the parent POM and each published module's POM and jar into {@code repository}. */
    private static void stage(Path repository) throws IOException {
        Path staged = repository.resolve("io/pipelinekit");
        if (Files.exists(staged)) {
            try (Stream<Path> files = Files.walk(staged)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
        install("pipeline-kit-parent", ROOT.resolve("pom.xml"), null, repository);
        for (String module : PUBLISHED) {
            Path jar =
                    ROOT.resolve(module).resolve("target").resolve(module + "-" + VERSION + ".jar");
            assertThat(jar).as("built by this reactor before the archetype").exists();
            install(module, ROOT.resolve(module).resolve("pom.xml"), jar, repository);
        }
    }

    private static void install(String artifactId, Path pom, Path jar, Path repository)
            throws IOException {
        Path dir = repository.resolve("io/pipelinekit").resolve(artifactId).resolve(VERSION);
        Files.createDirectories(dir);
        String base = artifactId + "-" + VERSION;
        Files.copy(pom, dir.resolve(base + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            Files.copy(jar, dir.resolve(base + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The shell lines of the block after {@code <!-- quickstart:commands -->} in the guide. */
    private static String quickstartCommands() throws IOException {
        String guide = Files.readString(ROOT.resolve("docs/quickstart.md"), StandardCharsets.UTF_8);
        Matcher block =
                Pattern.compile(
                                "<!-- quickstart:commands -->\\s*```bash\\n(.*?)```",
                                Pattern.DOTALL)
                        .matcher(guide);
        assertThat(block.find()).as("docs/quickstart.md has the marked commands").isTrue();
        return block.group(1);
    }

    private static Map<String, String> failsafeResults(Path project) throws IOException {
        Map<String, String> results = new TreeMap<>();
        Pattern suite =
                Pattern.compile(
                        "<testsuite"
                            + " [^>]*name=\"([^\"]+)\"[^>]*tests=\"(\\d+)\"[^>]*errors=\"(\\d+)\"[^>]*skipped=\"(\\d+)\"[^>]*failures=\"(\\d+)\"");
        try (Stream<Path> reports = Files.list(project.resolve("target/failsafe-reports"))) {
            for (Path report :
                    reports.filter(p -> p.toString().endsWith(".xml"))
                            .collect(Collectors.toList())) {
                Matcher m = suite.matcher(Files.readString(report));
                if (m.find()) {
                    results.put(
                            m.group(1),
                            "tests="
                                    + m.group(2)
                                    + " failures="
                                    + m.group(5)
                                    + " errors="
                                    + m.group(3)
                                    + " skipped="
                                    + m.group(4));
                }
            }
        }
        return results;
    }

    /**
     * The job jar carries the job, the library and the connector, and nothing test-scoped or
     * provided.
     */
    private static void assertJobJar(Path jar) throws IOException {
        assertThat(jar).exists();
        List<String> entries;
        try (JarFile file = new JarFile(jar.toFile())) {
            entries = file.stream().map(e -> e.getName()).collect(Collectors.toList());
        }
        assertThat(entries)
                .contains(
                        "com/example/payments/MerchantTotalsJob.class",
                        "io/pipelinekit/core/dlq/DeadLetters.class",
                        "io/pipelinekit/schemas/payments/PaymentTransaction.class",
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        "org/postgresql/Driver.class");
        for (String forbidden :
                List.of(
                        "io/pipelinekit/testkit/",
                        "org/junit/",
                        "org/assertj/",
                        "org/apache/flink/runtime/",
                        "org/apache/flink/streaming/api/environment/",
                        "org/apache/flink/api/common/",
                        "org/apache/flink/configuration/",
                        "org/apache/flink/test/",
                        "org/eclipse/aether/",
                        "software/amazon/awssdk/",
                        "io/zonky/",
                        "org/testcontainers/",
                        "org/apache/logging/log4j/")) {
            assertThat(entries)
                    .as("nothing from %s in the job jar", forbidden)
                    .noneMatch(e -> e.startsWith(forbidden));
        }
    }

    /**
     * The job jar holds this build's pipeline-core, byte for byte: not a stale snapshot from the
     * user's repository.
     */
    private static void assertBuiltFromThisBuild(Path jar) throws IOException {
        String entry = "io/pipelinekit/core/dlq/DeadLetters.class";
        byte[] built =
                Files.readAllBytes(ROOT.resolve("pipeline-core/target/classes").resolve(entry));
        try (JarFile file = new JarFile(jar.toFile())) {
            assertThat(file.getInputStream(file.getEntry(entry)).readAllBytes())
                    .as("%s in the job jar is the one this build compiled", entry)
                    .isEqualTo(built);
        }
    }

    private static void assertUsesOnlyPublicApi(Path project) throws IOException {
        Pattern internal = Pattern.compile("io\\.pipelinekit\\.[\\w.]*\\.internal\\b");
        List<String> internalImports = new ArrayList<>();
        try (Stream<Path> sources = Files.walk(project.resolve("src"))) {
            for (Path source :
                    sources.filter(p -> p.toString().endsWith(".java"))
                            .collect(Collectors.toList())) {
                for (String line : Files.readAllLines(source)) {
                    if (internal.matcher(line).find()) {
                        internalImports.add(project.relativize(source) + ": " + line);
                    }
                }
            }
        }
        assertThat(internalImports)
                .as("generated code uses Pipeline Kit's public API only")
                .isEmpty();
    }

    /** Lines that are not blank, imports, the package line or comments. */
    static long ownLines(Path source) throws IOException {
        return Files.readAllLines(source).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty())
                .filter(l -> !l.startsWith("import ") && !l.startsWith("package "))
                .filter(l -> !l.startsWith("//") && !l.startsWith("/*") && !l.startsWith("*"))
                .count();
    }

    private static String tail(Path log, int lines) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> all = Files.readAllLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
