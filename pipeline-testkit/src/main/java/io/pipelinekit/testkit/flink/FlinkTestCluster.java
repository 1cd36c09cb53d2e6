package io.pipelinekit.testkit.flink;

import io.pipelinekit.testkit.internal.process.ServiceSupport;
import io.pipelinekit.testkit.s3.S3Service;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.util.TestStreamEnvironment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A Flink MiniCluster for integration tests, with helpers to submit jobs, wait for checkpoints,
 * stop with a savepoint and restore from a savepoint or a retained checkpoint.
 *
 * <p>With {@link Builder#s3Checkpoints(Supplier)} checkpoints and savepoints go to {@code s3://} on
 * the given store (e.g. the embedded S3Proxy), so tests exercise the same file system as
 * production.
 *
 * <pre>{@code
 * try (FlinkTestCluster flink =
 *         FlinkTestCluster.builder().slotsPerTaskManager(2).s3Checkpoints(TestServices::s3).build().start()) {
 *     StreamExecutionEnvironment env = flink.environment(2);
 *     // build the job on env
 *     JobClient job = flink.submit(env, "my-job");
 *     String checkpoint = flink.triggerCheckpoint(job.getJobID(), Duration.ofMinutes(1));
 * }
 * }</pre>
 */
@PublicEvolving
public final class FlinkTestCluster implements AutoCloseable {

    private static final HttpClient REST_CLIENT = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Logger LOG = LoggerFactory.getLogger(FlinkTestCluster.class);
    private static final Duration POLL = Duration.ofMillis(50);

    private final int taskManagers;
    private final int slotsPerTaskManager;
    private final Configuration userConfiguration;
    private final Supplier<S3Service> s3;
    private Configuration configuration;
    private MiniCluster miniCluster;
    private Path workDir;
    private String bucket;

    private FlinkTestCluster(Builder builder) {
        this.taskManagers = builder.taskManagers;
        this.slotsPerTaskManager = builder.slotsPerTaskManager;
        this.userConfiguration = new Configuration(builder.configuration);
        this.s3 = builder.s3;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the MiniCluster (after initializing the S3 file system when configured). */
    public synchronized FlinkTestCluster start() throws Exception {
        if (miniCluster != null) {
            throw new IllegalStateException("FlinkTestCluster already started");
        }
        workDir = ServiceSupport.newWorkDir("flink");
        try {
            startCluster();
        } catch (Exception | Error e) {
            // The caller never gets this object to close: release what was started.
            closeQuietly();
            throw e;
        }
        return this;
    }

    private void startCluster() throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_PORT, "0");
        // Metrics read through REST (metricSum) are at most this old.
        conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofMillis(500));
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("128m"));
        conf.set(CoreOptions.TMP_DIRS, workDir.resolve("tmp").toString());
        if (s3 != null) {
            S3Service store = s3.get();
            bucket = store.createUniqueBucket("flink");
            conf.addAll(store.flinkConfiguration());
            conf.setString("s3.buffer.dir", workDir.resolve("s3-buffer").toString());
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "s3://" + bucket + "/checkpoints");
            conf.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, "s3://" + bucket + "/savepoints");
        } else {
            conf.set(
                    CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                    workDir.resolve("checkpoints").toUri().toString());
            conf.set(
                    CheckpointingOptions.SAVEPOINT_DIRECTORY,
                    workDir.resolve("savepoints").toUri().toString());
        }
        conf.addAll(userConfiguration);
        // A MiniCluster never initializes file systems itself: without this, s3:// paths would
        // use a file system that never saw the endpoint and credentials.
        FileSystem.initialize(conf, null);
        miniCluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(taskManagers)
                                .setNumSlotsPerTaskManager(slotsPerTaskManager)
                                .build());
        configuration = conf;
        miniCluster.start();
        LOG.info(
                "Flink MiniCluster started: {} task manager(s) x {} slot(s), checkpoints in {}",
                taskManagers,
                slotsPerTaskManager,
                checkpointDirectory());
    }

    private void closeQuietly() {
        try {
            close();
        } catch (Exception suppressed) {
            LOG.warn("Cleaning up a FlinkTestCluster that failed to start failed too", suppressed);
        }
        miniCluster = null;
        configuration = null;
    }

    /** The running MiniCluster, for anything the helpers do not cover. */
    public MiniCluster miniCluster() {
        if (miniCluster == null) {
            throw new IllegalStateException("FlinkTestCluster not started: call start() first");
        }
        return miniCluster;
    }

    /** Task managers the cluster started with (see {@link MiniCluster#startTaskManager()}). */
    public int taskManagers() {
        return taskManagers;
    }

    /** Total task slots. */
    public int slots() {
        return taskManagers * slotsPerTaskManager;
    }

    /** The cluster configuration (a copy). */
    public Configuration configuration() {
        miniCluster();
        return new Configuration(configuration);
    }

    /** Where checkpoints go, e.g. {@code s3://flink-1234abcd/checkpoints}. */
    public String checkpointDirectory() {
        miniCluster();
        return configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
    }

    /** Where savepoints go. */
    public String savepointDirectory() {
        return configuration.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
    }

    /** The bucket of checkpoints and savepoints when on S3. */
    public String bucket() {
        if (bucket == null) {
            throw new IllegalStateException("This cluster does not checkpoint to S3");
        }
        return bucket;
    }

    /**
     * An environment that runs on this cluster with the cluster configuration, {@code
     * pipeline.generic-types=false} (a type that would fall back to Kryo fails the test) and the
     * given parallelism.
     */
    public StreamExecutionEnvironment environment(int parallelism) {
        return environment(parallelism, new Configuration());
    }

    /** Like {@link #environment(int)} with extra job configuration (checkpointing, state, ...). */
    public StreamExecutionEnvironment environment(int parallelism, Configuration jobConfiguration) {
        Configuration conf = new Configuration(configuration);
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.addAll(jobConfiguration);
        return new TestStreamEnvironment(
                miniCluster(), conf, parallelism, Collections.emptyList(), Collections.emptyList());
    }

    /** Submits the job built on {@code env} without waiting for it to finish. */
    public JobClient submit(StreamExecutionEnvironment env, String jobName) throws Exception {
        return env.executeAsync(jobName);
    }

    /** Submits the job built on {@code env}, restoring from a savepoint or retained checkpoint. */
    public JobClient submitRestoring(
            StreamExecutionEnvironment env, String jobName, String savepointOrCheckpointPath)
            throws Exception {
        Objects.requireNonNull(savepointOrCheckpointPath, "savepointOrCheckpointPath");
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(jobName);
        // Fail rather than silently drop state that no operator claims (e.g. a changed uid).
        graph.setSavepointRestoreSettings(
                SavepointRestoreSettings.forPath(savepointOrCheckpointPath, false));
        return env.executeAsync(graph);
    }

    /** Waits until every task of the job runs (or has finished), failing if the job fails. */
    public void awaitRunning(JobID jobId, Duration timeout) throws Exception {
        awaitCondition(
                jobId,
                timeout,
                "all tasks running",
                graph -> {
                    // A job that failed to initialize (e.g. to restore) has no vertices at all.
                    if (graph.getState() != JobStatus.RUNNING
                            && graph.getState() != JobStatus.FINISHED) {
                        return false;
                    }
                    for (AccessExecutionVertex vertex : graph.getAllExecutionVertices()) {
                        ExecutionState state = vertex.getExecutionState();
                        if (state != ExecutionState.RUNNING && state != ExecutionState.FINISHED) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /**
     * The sum over all subtasks of the job's metric {@code metricName}, read through the REST API
     * like a dashboard would: a name such as {@code transactionsScored} or {@code
     * rule.velocity.alerts} matches every operator's metric whose id ends with it. Empty until a
     * task reported it; values trail the job by up to half a second.
     */
    public OptionalDouble metricSum(JobID jobId, String metricName) throws Exception {
        String base = miniCluster().getRestAddress().get() + "/jobs/" + jobId;
        double sum = 0;
        boolean found = false;
        for (JsonNode vertex : restGet(base).path("vertices")) {
            String vertexMetrics =
                    base + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics";
            for (JsonNode metric : restGet(vertexMetrics)) {
                String id = metric.path("id").asText();
                if (id.equals(metricName) || id.endsWith("." + metricName)) {
                    JsonNode values =
                            restGet(
                                    vertexMetrics
                                            + "?agg=sum&get="
                                            + URLEncoder.encode(id, StandardCharsets.UTF_8));
                    for (JsonNode value : values) {
                        sum += value.path("sum").asDouble();
                        found = true;
                    }
                }
            }
        }
        return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    private static JsonNode restGet(String url) throws Exception {
        HttpResponse<String> response =
                REST_CLIENT.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "GET " + url + " returned " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Number of checkpoints of the job completed so far. */
    public long completedCheckpoints(JobID jobId) throws Exception {
        return checkpointStats(miniCluster().getExecutionGraph(jobId).get())
                .getCounts()
                .getNumberOfCompletedCheckpoints();
    }

    /** Number of checkpoints of the job that failed so far (declined, timed out, aborted). */
    public long failedCheckpoints(JobID jobId) throws Exception {
        return checkpointStats(miniCluster().getExecutionGraph(jobId).get())
                .getCounts()
                .getNumberOfFailedCheckpoints();
    }

    /**
     * How often the job's tasks were restarted so far: the highest attempt number of any subtask
     * (each failover of a task's pipelined region, e.g. the whole job when it is connected by
     * shuffles, starts a new attempt).
     */
    public long restarts(JobID jobId) throws Exception {
        int restarts = 0;
        for (AccessExecutionVertex vertex :
                miniCluster().getExecutionGraph(jobId).get().getAllExecutionVertices()) {
            restarts = Math.max(restarts, vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return restarts;
    }

    /**
     * Waits until the job has completed at least {@code count} checkpoints; returns the latest
     * path.
     */
    public String awaitCompletedCheckpoints(JobID jobId, long count, Duration timeout)
            throws Exception {
        awaitCondition(
                jobId,
                timeout,
                count + " completed checkpoints",
                graph ->
                        checkpointStats(graph).getCounts().getNumberOfCompletedCheckpoints()
                                >= count);
        return latestCompletedCheckpoint(jobId);
    }

    /**
     * Triggers a checkpoint now and waits for it: everything the job processed before this call is
     * in it. Returns its path, usable with {@link #submitRestoring} once the job is cancelled (with
     * retention {@code RETAIN_ON_CANCELLATION}).
     */
    public String triggerCheckpoint(JobID jobId, Duration timeout) throws Exception {
        return get(miniCluster().triggerCheckpoint(jobId), timeout, "checkpoint of " + jobId);
    }

    /** The external path of the job's latest completed checkpoint. */
    public String latestCompletedCheckpoint(JobID jobId) throws Exception {
        CompletedCheckpointStats latest =
                checkpointStats(miniCluster().getExecutionGraph(jobId).get())
                        .getHistory()
                        .getLatestCompletedCheckpoint();
        if (latest == null) {
            throw new IllegalStateException("Job " + jobId + " has no completed checkpoint");
        }
        return latest.getExternalPath();
    }

    /** Stops the job with a canonical savepoint in the configured directory; returns its path. */
    public String stopWithSavepoint(JobID jobId, Duration timeout) throws Exception {
        return stopWithSavepoint(jobId, SavepointFormatType.CANONICAL, timeout);
    }

    public String stopWithSavepoint(JobID jobId, SavepointFormatType format, Duration timeout)
            throws Exception {
        String path =
                get(
                        miniCluster().stopWithSavepoint(jobId, savepointDirectory(), false, format),
                        timeout,
                        "stop-with-savepoint of " + jobId);
        awaitTerminal(jobId, timeout);
        return path;
    }

    /**
     * Cancels the job unless it has ended already and waits until it has: safe in a {@code finally}
     * block after a job failed, where an exception would hide the test's own.
     */
    public void cancel(JobID jobId, Duration timeout) throws Exception {
        try {
            if (!miniCluster().getJobStatus(jobId).get().isGloballyTerminalState()) {
                get(miniCluster().cancelJob(jobId), timeout, "cancel of " + jobId);
            }
        } catch (ExecutionException e) {
            if (!miniCluster().getJobStatus(jobId).get().isGloballyTerminalState()) {
                throw e;
            }
        }
        awaitTerminal(jobId, timeout);
    }

    /** Cancels every job that is not yet terminal (the extension does this after each test). */
    public void cancelAllJobs(Duration timeout) throws Exception {
        for (JobStatusMessage job : miniCluster().listJobs().get()) {
            if (!job.getJobState().isGloballyTerminalState()) {
                try {
                    cancel(job.getJobId(), timeout);
                } catch (ExecutionException e) {
                    // It reached a terminal state on its own meanwhile.
                    LOG.debug("Job {} could not be cancelled", job.getJobId(), e);
                }
            }
        }
    }

    /** Waits until the job reached a globally terminal state and returns it. */
    public JobStatus awaitTerminal(JobID jobId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JobStatus status = miniCluster().getJobStatus(jobId).get();
            if (status.isGloballyTerminalState()) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(
                        "Job " + jobId + " still " + status + " after " + timeout);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    @Override
    public synchronized void close() throws Exception {
        try {
            if (miniCluster != null) {
                try {
                    cancelAllJobs(Duration.ofSeconds(30));
                } finally {
                    miniCluster.close();
                }
            }
        } finally {
            miniCluster = null;
            if (s3 != null) {
                // FileSystem settings are JVM-global: do not leave them pointing at this store.
                FileSystem.initialize(new Configuration(), null);
            }
            if (workDir != null) {
                ServiceSupport.deleteWorkDir(workDir);
            }
        }
    }

    private interface GraphCondition {
        boolean test(AccessExecutionGraph graph) throws Exception;
    }

    private void awaitCondition(
            JobID jobId, Duration timeout, String what, GraphCondition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            AccessExecutionGraph graph = miniCluster().getExecutionGraph(jobId).get();
            if (condition.test(graph)) {
                return;
            }
            JobStatus status = graph.getState();
            if (status.isGloballyTerminalState()) {
                throw new IllegalStateException(
                        "Job "
                                + jobId
                                + " is "
                                + status
                                + " while waiting for "
                                + what
                                + (graph.getFailureInfo() != null
                                        ? ": " + graph.getFailureInfo().getExceptionAsString()
                                        : ""));
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(
                        "Job "
                                + jobId
                                + " ("
                                + status
                                + ") did not reach "
                                + what
                                + " in "
                                + timeout);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static CheckpointStatsSnapshot checkpointStats(AccessExecutionGraph graph) {
        CheckpointStatsSnapshot stats = graph.getCheckpointStatsSnapshot();
        if (stats == null) {
            throw new IllegalStateException(
                    "Job " + graph.getJobID() + " has checkpointing disabled");
        }
        return stats;
    }

    private static <T> T get(
            java.util.concurrent.CompletableFuture<T> future, Duration timeout, String what)
            throws Exception {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException(what + " did not complete within " + timeout);
        }
    }

    /** Builder of {@link FlinkTestCluster}. */
    @PublicEvolving
    public static final class Builder {
        private int taskManagers = 1;
        private int slotsPerTaskManager = 2;
        private final Configuration configuration = new Configuration();
        private Supplier<S3Service> s3;

        private Builder() {}

        public Builder taskManagers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("taskManagers must be >= 1, was " + count);
            }
            this.taskManagers = count;
            return this;
        }

        public Builder slotsPerTaskManager(int count) {
            if (count < 1) {
                throw new IllegalArgumentException(
                        "slotsPerTaskManager must be >= 1, was " + count);
            }
            this.slotsPerTaskManager = count;
            return this;
        }

        /** Cluster configuration, applied over the test kit's defaults. */
        public Builder configuration(Configuration conf) {
            this.configuration.addAll(Objects.requireNonNull(conf, "configuration"));
            return this;
        }

        /**
         * Checkpoints and savepoints go to a new bucket on this S3 store, e.g. {@code
         * TestServices::s3}; the supplier is called at {@link #start()}.
         */
        public Builder s3Checkpoints(Supplier<S3Service> store) {
            this.s3 = Objects.requireNonNull(store, "store");
            return this;
        }

        public FlinkTestCluster build() {
            return new FlinkTestCluster(this);
        }
    }
}
