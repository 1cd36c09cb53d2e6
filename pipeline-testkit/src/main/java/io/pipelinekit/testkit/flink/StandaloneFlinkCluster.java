package io.pipelinekit.testkit.flink;

import io.pipelinekit.testkit.internal.process.ChildJvm;
import io.pipelinekit.testkit.internal.process.MavenArtifacts;
import io.pipelinekit.testkit.internal.process.ServiceSupport;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A real standalone Flink session cluster in two child JVMs, a JobManager ({@code
 * StandaloneSessionClusterEntrypoint}) and a TaskManager ({@code TaskManagerRunner}), on a
 * classpath of Flink's runtime artifacts from Maven Central (the {@code lib/} of a Flink
 * distribution, which is not published there), to prove that a shaded job jar runs outside the
 * MiniCluster: uploaded and run through the REST {@code /jars} API, as {@code flink run} does.
 *
 * <pre>{@code
 * try (StandaloneFlinkCluster flink = StandaloneFlinkCluster.builder().taskSlots(4).build().start()) {
 *     String jar = flink.uploadJar(Path.of("target/pipeline-jobs.jar"));
 *     String job = flink.runJar(jar, "io.pipelinekit.jobs.inventory.InventorySyncJob",
 *                               List.of("--config", configFile.toString()), null);
 *     flink.awaitRunning(job, Duration.ofMinutes(1));
 *     String savepoint = flink.stopWithSavepoint(job, Duration.ofMinutes(2));
 * }
 * }</pre>
 */
@PublicEvolving
public final class StandaloneFlinkCluster implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int taskSlots;
    private final Map<String, String> config;
    private final Duration startupTimeout;
    private final List<String> libraries;
    private final List<String> taskManagerJvmOptions;
    private final HttpClient http = HttpClient.newHttpClient();
    private Path workDir;
    private ChildJvm jobManager;
    private ChildJvm taskManager;
    private int taskManagerStarts;

    /** What a TaskManager is started with, kept to start a replacement. */
    private Configuration effectiveConfig;

    private List<Path> flinkClasspath;
    private Path confDir;
    private Path logDir;
    private int restPort;

    private StandaloneFlinkCluster(Builder builder) {
        this.taskSlots = builder.taskSlots;
        this.config = new LinkedHashMap<>(builder.config);
        this.startupTimeout = builder.startupTimeout;
        this.libraries = List.copyOf(builder.libraries);
        this.taskManagerJvmOptions = List.copyOf(builder.taskManagerJvmOptions);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the JobManager, then the TaskManager, and waits until its slots are registered. */
    public synchronized StandaloneFlinkCluster start() {
        if (jobManager != null) {
            throw new IllegalStateException("StandaloneFlinkCluster already started");
        }
        workDir = ServiceSupport.newWorkDir("flink-standalone");
        try {
            Path conf = Files.createDirectories(workDir.resolve("conf"));
            Path logs = Files.createDirectories(workDir.resolve("log"));
            restPort = ServiceSupport.freePort();
            Map<String, String> flinkConf = new LinkedHashMap<>();
            flinkConf.put("jobmanager.rpc.address", "localhost");
            flinkConf.put("jobmanager.rpc.port", Integer.toString(ServiceSupport.freePort()));
            flinkConf.put("jobmanager.bind-host", "localhost");
            flinkConf.put("taskmanager.bind-host", "localhost");
            flinkConf.put("taskmanager.host", "localhost");
            flinkConf.put("rest.address", "localhost");
            flinkConf.put("rest.bind-address", "localhost");
            flinkConf.put("rest.port", Integer.toString(restPort));
            flinkConf.put("jobmanager.memory.process.size", "1024m");
            flinkConf.put("taskmanager.memory.process.size", "2048m");
            flinkConf.put("taskmanager.memory.managed.size", "256m");
            flinkConf.put("taskmanager.numberOfTaskSlots", Integer.toString(taskSlots));
            flinkConf.put("parallelism.default", "2");
            flinkConf.put(
                    "io.tmp.dirs", Files.createDirectories(workDir.resolve("tmp")).toString());
            flinkConf.put(
                    "web.upload.dir",
                    Files.createDirectories(workDir.resolve("upload")).toString());
            flinkConf.put("state.savepoints.dir", workDir.resolve("savepoints").toUri().toString());
            flinkConf.putAll(config);
            StringBuilder yaml = new StringBuilder();
            flinkConf.forEach(
                    (k, v) ->
                            yaml.append(k)
                                    .append(": \"")
                                    .append(v.replace("\"", "\\\""))
                                    .append("\"\n"));
            Files.writeString(conf.resolve("config.yaml"), yaml.toString());
            Files.writeString(conf.resolve("log4j.properties"), LOG4J);

            Configuration effective = new Configuration();
            flinkConf.forEach(effective::setString);
            List<Path> classpath = classpath();

            JobManagerProcessSpec jmSpec =
                    JobManagerProcessUtils.processSpecFromConfigWithNewOptionToInterpretLegacyHeap(
                            effective, JobManagerOptions.TOTAL_PROCESS_MEMORY);
            jobManager =
                    flinkProcess(
                                    "flink-jobmanager",
                                    classpath,
                                    JobManagerProcessUtils.generateJvmParametersStr(
                                            jmSpec, effective),
                                    logs.resolve("jobmanager.log"),
                                    conf)
                            .mainClass(
                                    "org.apache.flink.runtime.entrypoint."
                                            + "StandaloneSessionClusterEntrypoint")
                            .args(
                                    concat(
                                            new String[] {"--configDir", conf.toString()},
                                            dynamic(
                                                    JobManagerProcessUtils
                                                            .generateDynamicConfigsStr(jmSpec))))
                            .start();
            ServiceSupport.awaitReady(
                    jobManager, "Flink JobManager", startupTimeout, () -> get("/overview") != null);

            effectiveConfig = effective;
            flinkClasspath = classpath;
            confDir = conf;
            logDir = logs;
            startTaskManager();
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("Cannot start the standalone Flink cluster", e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Starts a TaskManager, e.g. after {@link #killTaskManager()}, and waits until its slots are
     * registered with the JobManager.
     */
    public synchronized void startTaskManager() {
        if (jobManager == null) {
            throw new IllegalStateException("StandaloneFlinkCluster is not started");
        }
        if (taskManager != null && taskManager.isAlive()) {
            throw new IllegalStateException("The TaskManager is running; kill it first");
        }
        TaskExecutorProcessSpec tmSpec =
                TaskExecutorProcessUtils.processSpecFromConfig(
                        TaskExecutorProcessUtils
                                .getConfigurationMapLegacyTaskManagerHeapSizeToConfigOption(
                                        effectiveConfig, TaskManagerOptions.TOTAL_PROCESS_MEMORY));
        taskManagerStarts++;
        Set<String> registered = taskManagerIds();
        ChildJvm.Builder taskManagerProcess =
                flinkProcess(
                        "flink-taskmanager",
                        flinkClasspath,
                        org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils
                                .generateJvmParametersStr(tmSpec),
                        logDir.resolve(
                                taskManagerStarts == 1
                                        ? "taskmanager.log"
                                        : "taskmanager-" + taskManagerStarts + ".log"),
                        confDir);
        taskManagerJvmOptions.forEach(taskManagerProcess::jvmArg);
        taskManager =
                taskManagerProcess
                        .mainClass("org.apache.flink.runtime.taskexecutor.TaskManagerRunner")
                        .args(
                                concat(
                                        new String[] {"--configDir", confDir.toString()},
                                        dynamic(
                                                TaskExecutorProcessUtils.generateDynamicConfigsStr(
                                                        tmSpec))))
                        .start();
        ServiceSupport.awaitReady(
                taskManager,
                "Flink TaskManager",
                startupTimeout,
                // A new TaskManager id: a killed one stays listed until its heartbeat times out.
                () -> !registered.containsAll(taskManagerIds()));
    }

    private Set<String> taskManagerIds() {
        Set<String> ids = new HashSet<>();
        JsonNode list = get("/taskmanagers");
        if (list != null) {
            for (JsonNode taskManager : list.path("taskmanagers")) {
                ids.add(taskManager.path("id").asText());
            }
        }
        return ids;
    }

    /**
     * Kills the TaskManager process with SIGKILL, as a machine or container loss does: its tasks
     * get no chance to clean up (open Kafka transactions stay open, files stay half written). Jobs
     * restart once {@link #startTaskManager()} brings slots back.
     */
    public synchronized void killTaskManager() {
        if (taskManager == null) {
            throw new IllegalStateException("StandaloneFlinkCluster is not started");
        }
        taskManager.kill();
    }

    private List<Path> classpath() {
        String flink = MavenArtifacts.serviceCoordinates("flink.version");
        String log4j = MavenArtifacts.serviceCoordinates("log4j.version");
        List<String> artifacts =
                new ArrayList<>(
                        List.of(
                                "org.apache.flink:flink-runtime:" + flink,
                                "org.apache.flink:flink-clients:" + flink,
                                "org.apache.flink:flink-streaming-java:" + flink,
                                "org.apache.flink:flink-runtime-web:" + flink,
                                "org.apache.flink:flink-statebackend-rocksdb:" + flink,
                                "org.apache.flink:flink-connector-base:" + flink,
                                "org.apache.flink:flink-connector-files:" + flink,
                                "org.apache.flink:flink-table-common:" + flink,
                                "org.apache.logging.log4j:log4j-slf4j-impl:" + log4j,
                                "org.apache.logging.log4j:log4j-core:" + log4j,
                                "org.apache.logging.log4j:log4j-api:" + log4j,
                                "org.apache.logging.log4j:log4j-1.2-api:" + log4j));
        for (String library : libraries) {
            artifacts.add(library.replace("${flink.version}", flink));
        }
        return MavenArtifacts.resolveClasspath(artifacts, List.of());
    }

    private ChildJvm.Builder flinkProcess(
            String name, List<Path> classpath, String memoryParams, Path log, Path conf) {
        ChildJvm.Builder builder =
                ChildJvm.builder(name).classpath(classpath).workDir(workDir).logFile(log);
        for (String option : ServiceSupport.flinkJdk17Options()) {
            builder.jvmArg(option);
        }
        for (String param : memoryParams.trim().split("\\s+")) {
            builder.jvmArg(param);
        }
        builder.jvmArg("-Dlog.file=" + log);
        builder.jvmArg("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
        return builder;
    }

    private static String[] dynamic(String dynamicConfigs) {
        // "-D key=value -D key=value" as separate arguments
        List<String> args = new ArrayList<>();
        String[] parts = dynamicConfigs.trim().split("\\s+");
        for (String part : parts) {
            if (!part.isEmpty()) {
                args.add(part);
            }
        }
        return args.toArray(new String[0]);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** The REST endpoint, e.g. {@code http://localhost:8081}. */
    public String restUrl() {
        return "http://localhost:" + restPort;
    }

    /** Uploads a job jar through {@code POST /jars/upload}; returns its id. */
    public String uploadJar(Path jar) throws IOException, InterruptedException {
        String boundary = "----pipelinekit" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\";"
                                + " filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode response =
                send(
                        HttpRequest.newBuilder(URI.create(restUrl() + "/jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                                .build());
        String file = response.path("filename").asText();
        return file.substring(file.lastIndexOf('/') + 1);
    }

    /**
     * Runs an uploaded jar through {@code POST /jars/<id>/run} (its {@code main} runs in the
     * JobManager, like {@code flink run} in application mode); returns the job id.
     */
    public String runJar(String jarId, String entryClass, List<String> args, String savepoint)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("entryClass", entryClass);
        args.forEach(request.putArray("programArgsList")::add);
        if (savepoint != null) {
            request.put("savepointPath", savepoint);
        }
        JsonNode response =
                send(
                        HttpRequest.newBuilder(URI.create(restUrl() + "/jars/" + jarId + "/run"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(request.toString()))
                                .build());
        return response.path("jobid").asText();
    }

    /** The job's state, e.g. {@code RUNNING}. */
    public String jobState(String jobId) {
        JsonNode job = get("/jobs/" + jobId);
        return job == null ? "UNKNOWN" : job.path("state").asText();
    }

    /** Waits until the job and all its tasks run. */
    public void awaitRunning(String jobId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode job = get("/jobs/" + jobId);
            if (job != null && "RUNNING".equals(job.path("state").asText())) {
                boolean allRunning = true;
                for (JsonNode vertex : job.path("vertices")) {
                    allRunning &= "RUNNING".equals(vertex.path("status").asText());
                }
                if (allRunning) {
                    return;
                }
            }
            if (job != null && "FAILED".equals(job.path("state").asText())) {
                throw new IllegalStateException(
                        "Job " + jobId + " failed: " + get("/jobs/" + jobId + "/exceptions"));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(
                "Job " + jobId + " is not running after " + timeout + ": " + jobState(jobId));
    }

    /**
     * Waits until the job restarted after {@code sinceEpochMillis} (e.g. a {@link
     * #killTaskManager()}) and runs again with all its tasks: a job whose JobManager has not yet
     * noticed the loss still reports RUNNING, which {@link #awaitRunning} alone would accept.
     */
    public void awaitRestarted(String jobId, long sinceEpochMillis, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode job = get("/jobs/" + jobId);
            if (job != null
                    && job.path("timestamps").path("RESTARTING").asLong(0) >= sinceEpochMillis) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "Job " + jobId + " did not restart within " + timeout);
            }
            Thread.sleep(100);
        }
        awaitRunning(jobId, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /** Completed checkpoints of a job. */
    public long completedCheckpoints(String jobId) {
        JsonNode checkpoints = get("/jobs/" + jobId + "/checkpoints");
        return checkpoints == null ? 0 : checkpoints.path("counts").path("completed").asLong();
    }

    /** Stops the job with a savepoint ({@code POST /jobs/<id>/stop}); returns its path. */
    public String stopWithSavepoint(String jobId, Duration timeout)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("drain", false);
        JsonNode trigger =
                send(
                        HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "/stop"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(request.toString()))
                                .build());
        String triggerId = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + triggerId);
            if (status != null && "COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode operation = status.path("operation");
                if (operation.has("failure-cause")) {
                    throw new IllegalStateException(
                            "Stop with savepoint failed: " + operation.path("failure-cause"));
                }
                return operation.path("location").asText();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("No savepoint of job " + jobId + " within " + timeout);
    }

    /** Cancels a job. */
    public void cancel(String jobId) throws IOException, InterruptedException {
        http.send(
                HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** The process id of the TaskManager JVM, e.g. to sample its memory or CPU time. */
    public long taskManagerPid() {
        if (taskManager == null) {
            throw new IllegalStateException("StandaloneFlinkCluster is not started");
        }
        return taskManager.pid();
    }

    /** The last lines of the JobManager's and TaskManager's logs, for failure messages. */
    public String logTail(int lines) {
        return (jobManager == null ? "" : "JobManager:\n" + jobManager.logTail(lines))
                + (taskManager == null ? "" : "\nTaskManager:\n" + taskManager.logTail(lines));
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> response =
                    http.send(
                            HttpRequest.newBuilder(URI.create(restUrl() + path))
                                    .timeout(Duration.ofSeconds(10))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException(
                    request.method()
                            + " "
                            + request.uri()
                            + " returned "
                            + response.statusCode()
                            + ": "
                            + response.body());
        }
        return JSON.readTree(response.body());
    }

    @Override
    public synchronized void close() {
        if (taskManager != null) {
            taskManager.close();
            taskManager = null;
        }
        if (jobManager != null) {
            jobManager.close();
            jobManager = null;
        }
    }

    private static final String LOG4J =
            "rootLogger.level = INFO\n"
                    + "rootLogger.appenderRef.file.ref = MainAppender\n"
                    + "appender.main.name = MainAppender\n"
                    + "appender.main.type = File\n"
                    + "appender.main.fileName = ${sys:log.file}\n"
                    + "appender.main.layout.type = PatternLayout\n"
                    + "appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c %x - %m%n\n"
                    + "logger.kafka.name = org.apache.kafka\n"
                    + "logger.kafka.level = WARN\n";

    /** Builder of {@link StandaloneFlinkCluster}. */
    @PublicEvolving
    public static final class Builder {
        private int taskSlots = 4;
        private final Map<String, String> config = new LinkedHashMap<>();
        private Duration startupTimeout = Duration.ofMinutes(2);
        private final List<String> libraries = new ArrayList<>();
        private final List<String> taskManagerJvmOptions = new ArrayList<>();

        private Builder() {}

        /**
         * Puts an artifact ({@code group:artifact:version}, resolved with its dependencies) on both
         * processes' classpath, as a jar in a Flink distribution's {@code lib/} would be; {@code
         * ${flink.version}} stands for the test kit's Flink version.
         */
        public Builder library(String coordinates) {
            java.util.Objects.requireNonNull(coordinates, "coordinates");
            if (coordinates.split(":").length != 3) {
                throw new IllegalArgumentException(
                        "library wants group:artifact:version, was '" + coordinates + "'");
            }
            libraries.add(coordinates);
            return this;
        }

        /**
         * The Table API and SQL runtime (planner, runtime, Java bridge and the JSON format) that a
         * Flink distribution ships in {@code lib/}, for jobs that run SQL.
         */
        public Builder tableRuntime() {
            library("org.apache.flink:flink-table-api-java-bridge:${flink.version}");
            library("org.apache.flink:flink-table-runtime:${flink.version}");
            library("org.apache.flink:flink-table-planner-loader:${flink.version}");
            return library("org.apache.flink:flink-json:${flink.version}");
        }

        /** An extra JVM option of the TaskManager, e.g. to start a flight recording. */
        public Builder taskManagerJvmOption(String option) {
            taskManagerJvmOptions.add(java.util.Objects.requireNonNull(option, "option"));
            return this;
        }

        /** Slots of the one TaskManager (default 4). */
        public Builder taskSlots(int slots) {
            if (slots < 1) {
                throw new IllegalArgumentException("taskSlots must be >= 1, was " + slots);
            }
            this.taskSlots = slots;
            return this;
        }

        /** A Flink option for both processes' {@code config.yaml}. */
        public Builder config(String key, String value) {
            config.put(
                    java.util.Objects.requireNonNull(key, "key"),
                    java.util.Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = java.util.Objects.requireNonNull(timeout, "startupTimeout");
            return this;
        }

        public StandaloneFlinkCluster build() {
            return new StandaloneFlinkCluster(this);
        }
    }
}
