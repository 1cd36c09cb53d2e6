package io.pipelinekit.jobs.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Finds {@code promtool}: on the PATH, or taken from Debian's {@code prometheus} package into
 * target/tools (downloaded and unpacked, never installed, so no root and no service).
 */
final class Promtool {

    private static final Path TOOLS = Paths.get("target", "tools", "prometheus");

    private Promtool() {}

    static Path locate() throws IOException, InterruptedException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Paths.get(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        Path unpacked = TOOLS.resolve("usr/bin/promtool");
        if (!Files.isExecutable(unpacked)) {
            Files.createDirectories(TOOLS);
            run(List.of("apt-get", "download", "prometheus"), TOOLS);
            Path deb;
            try (Stream<Path> files = Files.list(TOOLS)) {
                deb =
                        files.filter(p -> p.getFileName().toString().endsWith(".deb"))
                                .findFirst()
                                .orElseThrow(
                                        () ->
                                                new IllegalStateException(
                                                        "apt-get download prometheus left no"
                                                                + " .deb in "
                                                                + TOOLS.toAbsolutePath()));
            }
            run(List.of("dpkg-deb", "-x", deb.getFileName().toString(), "."), TOOLS);
        }
        if (!Files.isExecutable(unpacked)) {
            throw new IllegalStateException(
                    "promtool not found: install Debian's 'prometheus' package (or put promtool"
                            + " on the PATH); the alert rules cannot be checked without it");
        }
        return unpacked.toAbsolutePath();
    }

    private static void run(List<String> command, Path dir)
            throws IOException, InterruptedException {
        Process process =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException(
                    String.join(" ", command)
                            + " failed (promtool comes from Debian's 'prometheus' package; install"
                            + " it or put promtool on the PATH):\n"
                            + output);
        }
    }
}
