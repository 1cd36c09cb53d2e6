package io.pipelinekit.testkit.kafka;

import io.pipelinekit.testkit.internal.process.ChildJvm;
import io.pipelinekit.testkit.internal.process.MavenArtifacts;
import io.pipelinekit.testkit.internal.process.ServiceSupport;
import io.pipelinekit.testkit.internal.tls.SelfSignedCertificate;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka broker in KRaft mode, running in its own JVM from the {@code
 * org.apache.kafka:kafka_2.13} Maven artifact, with transactions enabled.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
 *     String topic = kafka.createUniqueTopic("orders", 4);
 *     // produce with kafka.bootstrapServers(), read back with kafka.readCommitted(topic)
 * }
 * }</pre>
 */
@PublicEvolving
public final class EmbeddedKafkaBroker implements KafkaService {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private final String artifact;
    private final String maxHeap;
    private final Duration startupTimeout;
    private final Map<String, String> brokerProperties;
    private final Map<String, String> saslUsers;
    private final Map<String, String> scramUsers;
    private final boolean tls;
    private Path workDir;
    private String saslBootstrapServers;
    private static final List<String> SCRAM_MECHANISMS = List.of("SCRAM-SHA-256", "SCRAM-SHA-512");
    private String tlsBootstrapServers;
    private String saslSslBootstrapServers;
    private SelfSignedCertificate certificate;
    private ChildJvm process;
    private String bootstrapServers;
    private List<Path> classpath;
    private Path serverPropertiesFile;
    private Path log4jFile;

    private EmbeddedKafkaBroker(Builder builder) {
        this.artifact = builder.artifact;
        this.maxHeap = builder.maxHeap;
        this.startupTimeout = builder.startupTimeout;
        this.brokerProperties = Map.copyOf(builder.brokerProperties);
        this.saslUsers = Map.copyOf(builder.saslUsers);
        this.scramUsers = Map.copyOf(builder.scramUsers);
        this.tls = builder.tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats the storage, starts the broker and waits until it serves metadata requests. */
    public synchronized EmbeddedKafkaBroker start() {
        if (serverPropertiesFile != null) {
            throw new IllegalStateException(
                    "Kafka broker already started at "
                            + bootstrapServers
                            + (process == null ? " (killed: use restart())" : ""));
        }
        long started = System.nanoTime();
        classpath = MavenArtifacts.resolveClasspath(List.of(artifact), List.of());
        workDir = ServiceSupport.newWorkDir("kafka");
        int brokerPort = ServiceSupport.freePort();
        int controllerPort = ServiceSupport.freePort();
        boolean sasl = !saslUsers.isEmpty() || !scramUsers.isEmpty();
        int saslPort = sasl ? ServiceSupport.freePort() : -1;
        int tlsPort = tls ? ServiceSupport.freePort() : -1;
        int saslSslPort = sasl && tls ? ServiceSupport.freePort() : -1;
        bootstrapServers = "127.0.0.1:" + brokerPort;
        saslBootstrapServers = sasl ? "127.0.0.1:" + saslPort : null;
        tlsBootstrapServers = tls ? "127.0.0.1:" + tlsPort : null;
        saslSslBootstrapServers = saslSslPort > 0 ? "127.0.0.1:" + saslSslPort : null;
        if (tls) {
            try {
                certificate = SelfSignedCertificate.create();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create the broker's TLS certificate", e);
            }
        }
        Path serverProperties = workDir.resolve("server.properties");
        log4jFile = workDir.resolve("log4j2.properties");
        write(
                serverProperties,
                serverProperties(brokerPort, controllerPort, saslPort, tlsPort, saslSslPort));
        write(log4jFile, LOG4J2_CONFIG);

        ChildJvm format =
                childJvm("kafka-storage-format", classpath, log4jFile)
                        .mainClass("kafka.tools.StorageTool")
                        .args(formatArgs(serverProperties))
                        .start();
        int formatExit = format.waitFor(Duration.ofSeconds(120));
        if (formatExit != 0) {
            throw new IllegalStateException(
                    "Formatting Kafka storage failed with exit code "
                            + formatExit
                            + ":\n"
                            + format.logTail(40));
        }
        serverPropertiesFile = serverProperties;
        launch(started);
        return this;
    }

    /** Starts the broker JVM on the formatted storage and waits until it serves requests. */
    private void launch(long started) {
        process =
                childJvm("kafka-broker", classpath, log4jFile)
                        .jvmArg("-Xmx" + maxHeap)
                        .mainClass("kafka.Kafka")
                        .args(serverPropertiesFile.toString())
                        .start();
        ServiceSupport.awaitReady(
                process, "Kafka broker at " + bootstrapServers, startupTimeout, this::ready);
        LOG.info(
                "Kafka {} broker ready at {} in {} ms (pid {}, log {})",
                artifact,
                bootstrapServers,
                (System.nanoTime() - started) / 1_000_000,
                process.pid(),
                process.logFile());
    }

    /**
     * Kills the broker JVM with {@code SIGKILL}, like a crashed machine's broker: no controlled
     * shutdown, no flush, open transactions stay open. Ports, data directory and metadata stay, so
     * {@link #restart()} brings the same broker back with everything it had written.
     */
    public synchronized void kill() {
        requireStarted();
        if (process != null) {
            process.kill();
            LOG.info("Kafka broker at {} killed (SIGKILL)", bootstrapServers);
            process = null;
        }
    }

    /**
     * A hard restart: kills the broker if it runs ({@link #kill()}), then starts it again on the
     * same ports with the same data directory and waits until it serves requests. Topics, committed
     * records, consumer offsets and transaction state survive, as on a real broker.
     */
    public synchronized EmbeddedKafkaBroker restart() {
        requireStarted();
        kill();
        launch(System.nanoTime());
        return this;
    }

    /** Whether the broker JVM runs (false after {@link #kill()} until {@link #restart()}). */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    private void requireStarted() {
        if (serverPropertiesFile == null) {
            throw new IllegalStateException("Kafka broker not started: call start() first");
        }
    }

    @Override
    public String bootstrapServers() {
        if (bootstrapServers == null) {
            throw new IllegalStateException("Kafka broker not started: call start() first");
        }
        return bootstrapServers;
    }

    /** The bootstrap servers of the SASL/PLAIN listener ({@link Builder#saslPlainUser}). */
    public String saslBootstrapServers() {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException(
                    "This broker has no SASL listener: add users with"
                            + " builder().saslPlainUser(...)");
        }
        return saslBootstrapServers;
    }

    /** The bootstrap servers of the TLS listener ({@link Builder#tls}). */
    public String tlsBootstrapServers() {
        if (tlsBootstrapServers == null) {
            throw new IllegalStateException("This broker has no TLS listener: build it with tls()");
        }
        return tlsBootstrapServers;
    }

    /**
     * The bootstrap servers of the SASL_SSL listener: SASL (the users of {@link
     * Builder#saslPlainUser} and {@link Builder#scramUser}) over TLS; present when the broker has
     * both users and {@link Builder#tls}.
     */
    public String saslSslBootstrapServers() {
        if (saslSslBootstrapServers == null) {
            throw new IllegalStateException(
                    "This broker has no SASL_SSL listener: build it with tls() and users"
                            + " (scramUser(...) or saslPlainUser(...))");
        }
        return saslSslBootstrapServers;
    }

    /** A PKCS12 trust store with the TLS listener's self-signed certificate. */
    public Path truststore() {
        tlsBootstrapServers();
        return certificate.truststore();
    }

    /** The password of {@link #truststore()}. */
    public String truststorePassword() {
        truststore();
        return certificate.password();
    }

    /** The broker's process id, for fault injection and diagnostics. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(
                    "Kafka broker not running: call start() (or restart() after kill())");
        }
        return process.pid();
    }

    /** The broker's log file (stdout and log4j output). */
    public Path logFile() {
        requireStarted();
        return workDir.resolve("kafka-broker.log");
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
            process = null;
        }
        if (serverPropertiesFile != null) {
            serverPropertiesFile = null;
            ServiceSupport.deleteWorkDir(workDir);
            if (certificate != null) {
                certificate.delete();
                certificate = null;
            }
        }
    }

    private String[] formatArgs(Path serverProperties) {
        List<String> args =
                new java.util.ArrayList<>(
                        List.of(
                                "format",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                serverProperties.toString()));
        // KRaft keeps SCRAM credentials in the metadata log: they are added when formatting.
        scramUsers.forEach(
                (user, password) -> {
                    for (String mechanism : SCRAM_MECHANISMS) {
                        args.add("--add-scram");
                        args.add(mechanism + "=[name=" + user + ",password=" + password + "]");
                    }
                });
        return args.toArray(new String[0]);
    }

    private ChildJvm.Builder childJvm(String name, List<Path> classpath, Path log4j) {
        return ChildJvm.builder(name)
                .classpath(classpath)
                .workDir(workDir)
                .jvmArg("-XX:+UseSerialGC")
                .jvmArg("-Dlog4j2.configurationFile=" + log4j.toUri())
                .jvmArg("-Dkafka.logs.dir=" + workDir.resolve("logs"));
    }

    private boolean ready() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        try (Admin admin = Admin.create(properties)) {
            return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private String serverProperties(
            int brokerPort, int controllerPort, int saslPort, int tlsPort, int saslSslPort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:"
                        + brokerPort
                        + ",CONTROLLER://127.0.0.1:"
                        + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        if (saslPort > 0) {
            // A listener that requires SASL (PLAIN and/or SCRAM), for testing authentication.
            addListener(p, "SASL_PLAINTEXT", saslPort);
            p.put("sasl.enabled.mechanisms", String.join(",", saslListener(p, "sasl_plaintext")));
        }
        if (tlsPort > 0) {
            addListener(p, "SSL", tlsPort);
            tlsListener(p, "ssl");
        }
        if (saslSslPort > 0) {
            addListener(p, "SASL_SSL", saslSslPort);
            saslListener(p, "sasl_ssl");
            tlsListener(p, "sasl_ssl");
        }
        p.put("log.dirs", workDir.resolve("data").toString());
        p.put("num.partitions", "1");
        // Single node: internal topics (offsets, transactions) cannot have more than one replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Like production brokers that run exactly-once jobs with large-state checkpointing:
        // their transactions may stay open longer than Kafka's default limit of 15 min.
        p.put("transaction.max.timeout.ms", "3600000");
        // Test data carries historical event times (e.g. generated transactions from January).
        // With Kafka's default 7-day retention the broker's periodic retention check (every 5 min)
        // would delete those segments mid-test, so records would vanish from topics.
        p.put("log.retention.ms", "-1");
        p.putAll(brokerProperties);
        StringBuilder text = new StringBuilder("# Written by pipeline-testkit\n");
        p.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return text.toString();
    }

    /** The SASL settings of a listener; returns its mechanisms. */
    private List<String> saslListener(Map<String, String> p, String listener) {
        List<String> mechanisms = new java.util.ArrayList<>();
        if (!saslUsers.isEmpty()) {
            mechanisms.add("PLAIN");
            StringBuilder jaas =
                    new StringBuilder(
                            "org.apache.kafka.common.security.plain.PlainLoginModule required");
            saslUsers.forEach(
                    (user, password) ->
                            jaas.append(" user_")
                                    .append(user)
                                    .append("=\"")
                                    .append(password)
                                    .append('"'));
            p.put(
                    "listener.name." + listener + ".plain.sasl.jaas.config",
                    jaas.append(';').toString());
        }
        if (!scramUsers.isEmpty()) {
            for (String mechanism : SCRAM_MECHANISMS) {
                mechanisms.add(mechanism);
                p.put(
                        "listener.name."
                                + listener
                                + "."
                                + mechanism.toLowerCase(java.util.Locale.ROOT)
                                + ".sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            }
        }
        p.put(
                "listener.name." + listener + ".sasl.enabled.mechanisms",
                String.join(",", mechanisms));
        return mechanisms;
    }

    private void tlsListener(Map<String, String> p, String listener) {
        String prefix = "listener.name." + listener + ".ssl.";
        p.put(prefix + "keystore.location", certificate.keystore().toString());
        p.put(prefix + "keystore.password", certificate.password());
        p.put(prefix + "key.password", certificate.password());
        p.put(prefix + "keystore.type", "PKCS12");
    }

    private static void addListener(Map<String, String> p, String name, int port) {
        String endpoint = name + "://127.0.0.1:" + port;
        p.put("listeners", p.get("listeners") + "," + endpoint);
        p.put("advertised.listeners", p.get("advertised.listeners") + "," + endpoint);
        p.put(
                "listener.security.protocol.map",
                p.get("listener.security.protocol.map") + "," + name + ":" + name);
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // Kafka 4 logs through log4j 2 and prints only errors without a configuration.
    private static final String LOG4J2_CONFIG =
            String.join(
                    "\n",
                    "status = warn",
                    "appender.console.type = Console",
                    "appender.console.name = STDOUT",
                    "appender.console.layout.type = PatternLayout",
                    "appender.console.layout.pattern = [%d] %p %m (%c)%n",
                    "rootLogger.level = INFO",
                    "rootLogger.appenderRef.stdout.ref = STDOUT",
                    "logger.kafka.name = kafka",
                    "logger.kafka.level = INFO",
                    "logger.state.name = state.change.logger",
                    "logger.state.level = WARN",
                    "logger.request.name = kafka.request.logger",
                    "logger.request.level = WARN",
                    "");

    /** Builder of {@link EmbeddedKafkaBroker}. */
    @PublicEvolving
    public static final class Builder {
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private final Map<String, String> saslUsers = new LinkedHashMap<>();
        private final Map<String, String> scramUsers = new LinkedHashMap<>();
        private boolean tls;
        private String artifact = MavenArtifacts.serviceCoordinates("kafka.broker");
        private String maxHeap = "512m";
        private Duration startupTimeout = Duration.ofSeconds(120);

        private Builder() {}

        /** Sets a broker configuration property (after the test kit's single-node defaults). */
        public Builder brokerProperty(String key, String value) {
            brokerProperties.put(
                    Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Adds a SASL_PLAINTEXT listener (mechanism PLAIN) that accepts this user, next to the
         * plaintext one; see {@code saslBootstrapServers()}.
         */
        public Builder saslPlainUser(String user, String password) {
            saslUsers.put(
                    Objects.requireNonNull(user, "user"),
                    Objects.requireNonNull(password, "password"));
            return this;
        }

        /**
         * Adds a SCRAM user (SCRAM-SHA-256 and SCRAM-SHA-512) on the SASL listeners (see {@code
         * saslBootstrapServers()} and {@code saslSslBootstrapServers()}).
         */
        public Builder scramUser(String user, String password) {
            scramUsers.put(
                    Objects.requireNonNull(user, "user"),
                    Objects.requireNonNull(password, "password"));
            return this;
        }

        /**
         * Adds a TLS listener with a self-signed certificate; see {@code tlsBootstrapServers()}.
         */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** Runs another broker version, e.g. {@code "3.9.1"} (default: the tested version). */
        public Builder version(String kafkaVersion) {
            Objects.requireNonNull(kafkaVersion, "kafkaVersion");
            this.artifact = "org.apache.kafka:kafka_2.13:" + kafkaVersion;
            return this;
        }

        /** Maximum heap of the broker JVM (default {@code 512m}). */
        public Builder maxHeap(String maxHeap) {
            this.maxHeap = Objects.requireNonNull(maxHeap, "maxHeap");
            return this;
        }

        /**
         * How long start-up may take, including the first download of the broker (default 120 s).
         */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }
}
