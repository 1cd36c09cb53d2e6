package io.pipelinekit.testkit.internal.process;

import org.apache.flink.annotation.Internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the embedded services: ports, work directories, waiting. */
@Internal
public final class ServiceSupport {

    private ServiceSupport() {}

    /** The JVM options Flink 1.20 needs on JDK 17 (what Flink's scripts pass). */
    public static List<String> flinkJdk17Options() {
        return List.of(
                "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.net=ALL-UNNAMED",
                "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                "--add-opens=java.base/java.text=ALL-UNNAMED",
                "--add-opens=java.base/java.time=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");
    }

    /** A free TCP port on the loopback interface. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free loopback port", e);
        }
    }

    /**
     * A new, absolute work directory for one service instance: under {@code pipelinekit.work.dir}
     * (set by the build to {@code target/pipelinekit}) or the temporary directory.
     */
    public static Path newWorkDir(String service) {
        String base = System.getProperty("pipelinekit.work.dir");
        Path root =
                base == null || base.isBlank()
                        ? Paths.get(System.getProperty("java.io.tmpdir"), "pipelinekit")
                        : Paths.get(base);
        Path dir =
                root.toAbsolutePath()
                        .resolve(service + "-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create work directory " + dir, e);
        }
    }

    /**
     * Deletes a work directory but its {@code *.log} files (kept for diagnosing failures), unless
     * {@code pipelinekit.keep.work.dirs} asks to keep everything.
     */
    public static void deleteWorkDir(Path dir) {
        if (Boolean.getBoolean("pipelinekit.keep.work.dirs") || !Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(
                    dir,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                                throws IOException {
                            if (!file.getFileName().toString().endsWith(".log")) {
                                Files.deleteIfExists(file);
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult postVisitDirectory(Path d, IOException e)
                                throws IOException {
                            try (var entries = Files.list(d)) {
                                if (entries.findAny().isEmpty()) {
                                    Files.delete(d);
                                }
                            }
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            // Leftovers under target/ are harmless; the next clean removes them.
        }
    }

    /**
     * Polls {@code ready} until it holds, failing fast when the process dies and with the process
     * log when the deadline passes.
     */
    public static void awaitReady(
            ChildJvm process, String what, Duration timeout, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            process.checkAlive();
            if (ready.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                process.close();
                throw new IllegalStateException(
                        what
                                + " was not ready within "
                                + timeout
                                + ". Last lines of "
                                + process.logFile()
                                + ":\n"
                                + process.logTail(60));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.close();
                throw new IllegalStateException("Interrupted while starting " + what, e);
            }
        }
    }
}
