package io.pipelinekit.testkit.internal.process;

import org.apache.flink.annotation.Internal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A server process in its own JVM with its own classpath, stopped when closed and when the parent
 * JVM exits (see {@link ChildJvmMain}).
 */
@Internal
public final class ChildJvm implements AutoCloseable {

    private static final Set<ChildJvm> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(ChildJvm::closeAll, "pipelinekit-child-jvm-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path logFile;

    private ChildJvm(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /**
     * Waits for a process that runs to completion (e.g. a formatting tool) and returns its code.
     */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new IllegalStateException(
                        name + " did not finish within " + timeout + ". Its log:\n" + logTail(40));
            }
            RUNNING.remove(this);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("Interrupted while waiting for " + name, e);
        }
    }

    /** Fails with the process log when the process has died, so start-up errors are readable. */
    public void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(
                    name
                            + " exited with code "
                            + process.exitValue()
                            + " during start-up. Last lines of "
                            + logFile
                            + ":\n"
                            + logTail(60));
        }
    }

    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
                    .collect(Collectors.joining("\n"));
        } catch (IOException | UncheckedIOException e) {
            return "(log " + logFile + " not readable: " + e + ")";
        }
    }

    /** Stops every running child: all are asked at once, so their shutdowns overlap. */
    static void closeAll() {
        List<ChildJvm> children = new ArrayList<>(RUNNING);
        children.forEach(ChildJvm::signalStop);
        children.forEach(ChildJvm::close);
    }

    private void signalStop() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // Already closed: the child sees end-of-file either way.
        }
    }

    /**
     * Kills the child at once ({@code SIGKILL}, like {@code kill -9}): no shutdown hooks, no
     * flushing; what it wrote to its files stays, as after a crash. Waits until it is gone.
     */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!awaitExit(Duration.ofSeconds(30))) {
            // Still registered, so the reaper tries again at JVM exit.
            throw new IllegalStateException(
                    name
                            + " (pid "
                            + pid()
                            + (Thread.currentThread().isInterrupted()
                                    ? ") was killed, but the wait for its exit was interrupted"
                                    : ") survived SIGKILL"));
        }
        RUNNING.remove(this);
    }

    /** Asks the child to stop (end-of-file on its stdin), then escalates to SIGTERM and SIGKILL. */
    @Override
    public void close() {
        RUNNING.remove(this);
        if (!process.isAlive()) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // The pipe is already closed: the child sees end-of-file either way.
        }
        if (awaitExit(Duration.ofSeconds(ChildJvmMain.SHUTDOWN_GRACE_SECONDS + 5))) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!awaitExit(Duration.ofSeconds(5))) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            awaitExit(Duration.ofSeconds(5));
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Where this test kit's own classes are, so the child can run {@link ChildJvmMain}. */
    static Path ownCodeLocation() {
        try {
            return Paths.get(
                    ChildJvmMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("Cannot locate the pipeline-testkit classes", e);
        }
    }

    /** Builder of {@link ChildJvm}. */
    public static final class Builder {
        private final String name;
        private final List<Path> classpath = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private String mainClass;
        private Path workDir;
        private Path logFile;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        public Builder classpath(List<Path> entries) {
            classpath.addAll(Objects.requireNonNull(entries, "classpath"));
            return this;
        }

        public Builder mainClass(String mainClass) {
            this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
            return this;
        }

        public Builder jvmArg(String arg) {
            jvmArgs.add(Objects.requireNonNull(arg, "jvmArg"));
            return this;
        }

        public Builder args(String... values) {
            for (String value : values) {
                args.add(Objects.requireNonNull(value, "arg"));
            }
            return this;
        }

        public Builder workDir(Path dir) {
            this.workDir = Objects.requireNonNull(dir, "workDir");
            return this;
        }

        public Builder logFile(Path file) {
            this.logFile = Objects.requireNonNull(file, "logFile");
            return this;
        }

        public ChildJvm start() {
            if (mainClass == null || workDir == null || classpath.isEmpty()) {
                throw new IllegalStateException(
                        "ChildJvm "
                                + name
                                + " needs a main class, a work directory and a classpath");
            }
            Path log = logFile != null ? logFile : workDir.resolve(name + ".log");
            List<String> command = new ArrayList<>();
            command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmArgs);
            List<Path> fullClasspath = new ArrayList<>(classpath);
            fullClasspath.add(ownCodeLocation());
            command.add("-cp");
            command.add(
                    fullClasspath.stream()
                            .map(Path::toString)
                            .collect(Collectors.joining(File.pathSeparator)));
            command.add(ChildJvmMain.class.getName());
            command.add(mainClass);
            command.addAll(args);
            try {
                Files.createDirectories(workDir);
                Process process =
                        new ProcessBuilder(command)
                                .directory(workDir.toFile())
                                .redirectErrorStream(true)
                                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                                .start();
                ChildJvm child = new ChildJvm(name, process, log);
                RUNNING.add(child);
                return child;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot start " + name + ": " + command, e);
            }
        }
    }
}
