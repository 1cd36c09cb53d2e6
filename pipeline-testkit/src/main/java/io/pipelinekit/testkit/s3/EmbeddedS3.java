package io.pipelinekit.testkit.s3;

import io.pipelinekit.testkit.internal.process.ChildJvm;
import io.pipelinekit.testkit.internal.process.MavenArtifacts;
import io.pipelinekit.testkit.internal.process.ServiceSupport;
import io.pipelinekit.testkit.internal.s3.S3Clients;

import org.apache.flink.annotation.PublicEvolving;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A real S3 API server, S3Proxy with a filesystem backend, running in its own JVM from the {@code
 * org.gaul:s3proxy} Maven artifact. A bucket is a directory under the (absolute) base directory.
 *
 * <pre>{@code
 * try (EmbeddedS3 s3 = EmbeddedS3.builder().build().start()) {
 *     String bucket = s3.createUniqueBucket("checkpoints");
 *     Configuration flink = s3.flinkConfiguration();
 * }
 * }</pre>
 */
@PublicEvolving
public final class EmbeddedS3 implements S3Service {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

    private final String artifact;
    private final String accessKey;
    private final String secretKey;
    private final Duration startupTimeout;
    private Path workDir;
    private ChildJvm process;
    private URI endpoint;
    private S3Client client;
    private Path propertiesFile;
    private List<Path> classpath;

    private EmbeddedS3(Builder builder) {
        this.artifact = builder.artifact;
        this.accessKey = builder.accessKey;
        this.secretKey = builder.secretKey;
        this.startupTimeout = builder.startupTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts S3Proxy and waits until it answers S3 requests. */
    public synchronized EmbeddedS3 start() {
        if (propertiesFile != null) {
            throw new IllegalStateException("S3Proxy already started at " + endpoint);
        }
        long started = System.nanoTime();
        List<Path> classpath = MavenArtifacts.resolveClasspath(List.of(artifact), List.of());
        workDir = ServiceSupport.newWorkDir("s3");
        // S3Proxy's filesystem backend needs an absolute base directory: with a relative one,
        // multipart uploads (Flink's checkpoint _metadata) fail with NoSuchUpload.
        Path baseDir = workDir.resolve("buckets").toAbsolutePath();
        int port = ServiceSupport.freePort();
        endpoint = URI.create("http://127.0.0.1:" + port);
        Path properties = workDir.resolve("s3proxy.properties");
        try {
            Files.createDirectories(baseDir);
            Files.writeString(
                    properties,
                    String.join(
                            "\n",
                            "s3proxy.endpoint=" + endpoint,
                            "s3proxy.authorization=aws-v2-or-v4",
                            "s3proxy.identity=" + accessKey,
                            "s3proxy.credential=" + secretKey,
                            "jclouds.provider=filesystem",
                            "jclouds.identity=" + accessKey,
                            "jclouds.credential=" + secretKey,
                            "jclouds.filesystem.basedir=" + baseDir,
                            ""),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        propertiesFile = properties;
        this.classpath = classpath;
        client = S3Clients.create(endpoint, accessKey, secretKey, region());
        launch(started);
        return this;
    }

    private void launch(long started) {
        process =
                ChildJvm.builder("s3proxy")
                        .classpath(classpath)
                        .workDir(workDir)
                        .jvmArg("-Xmx256m")
                        .jvmArg("-XX:+UseSerialGC")
                        .mainClass("org.gaul.s3proxy.Main")
                        .args("--properties", propertiesFile.toString())
                        .start();
        ServiceSupport.awaitReady(process, "S3Proxy at " + endpoint, startupTimeout, this::ready);
        LOG.info(
                "S3Proxy ready at {} in {} ms (pid {}, buckets in {})",
                endpoint,
                (System.nanoTime() - started) / 1_000_000,
                process.pid(),
                workDir.resolve("buckets"));
    }

    /**
     * Kills the S3Proxy JVM with {@code SIGKILL}: from then on the endpoint refuses connections, as
     * during an S3 outage. The stored objects stay; {@link #restart()} serves them again on the
     * same endpoint.
     */
    public synchronized void kill() {
        requireStarted();
        if (process != null) {
            process.kill();
            LOG.info("S3Proxy at {} killed (SIGKILL)", endpoint);
            process = null;
        }
    }

    /**
     * Kills S3Proxy if it runs and starts it again on the same endpoint with the same buckets and
     * objects; waits until it answers S3 requests.
     */
    public synchronized EmbeddedS3 restart() {
        requireStarted();
        kill();
        launch(System.nanoTime());
        return this;
    }

    /** Whether S3Proxy runs (false after {@link #kill()} until {@link #restart()}). */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    private void requireStarted() {
        if (propertiesFile == null) {
            throw new IllegalStateException("S3Proxy not started: call start() first");
        }
    }

    @Override
    public URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("S3Proxy not started: call start() first");
        }
        return endpoint;
    }

    @Override
    public String accessKey() {
        return accessKey;
    }

    @Override
    public String secretKey() {
        return secretKey;
    }

    @Override
    public S3Client client() {
        if (client == null) {
            throw new IllegalStateException("S3Proxy not started: call start() first");
        }
        return client;
    }

    /** The process id of the S3Proxy JVM, for fault injection and diagnostics. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(
                    "S3Proxy not running: call start() (or restart() after kill())");
        }
        return process.pid();
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (process != null) {
            process.close();
            process = null;
        }
        if (propertiesFile != null) {
            propertiesFile = null;
            ServiceSupport.deleteWorkDir(workDir);
        }
    }

    private boolean ready() {
        try {
            client.listBuckets();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Builder of {@link EmbeddedS3}. */
    @PublicEvolving
    public static final class Builder {
        private String artifact = MavenArtifacts.serviceCoordinates("s3proxy");
        private String accessKey = "pipelinekit";
        private String secretKey = "pipelinekit-secret";
        private Duration startupTimeout = Duration.ofSeconds(120);

        private Builder() {}

        public Builder credentials(String accessKey, String secretKey) {
            this.accessKey = Objects.requireNonNull(accessKey, "accessKey");
            this.secretKey = Objects.requireNonNull(secretKey, "secretKey");
            return this;
        }

        /** How long start-up may take, including the first download of S3Proxy (default 120 s). */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public EmbeddedS3 build() {
            return new EmbeddedS3(this);
        }
    }
}
