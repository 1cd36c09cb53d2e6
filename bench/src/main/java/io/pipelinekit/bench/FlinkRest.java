package io.pipelinekit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/** The few calls of Flink's REST API the harness needs: job state, metrics, checkpoint stats. */
final class FlinkRest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SUBTASK_PREFIX = Pattern.compile("^\\d+\\.");

    /** Longer than the cluster's metrics.fetcher.update-interval plus a fetch round trip. */
    private static final Duration FRESH_READ_WAIT = Duration.ofMillis(600);

    private final String baseUrl;
    private final HttpClient http = HttpClient.newHttpClient();

    FlinkRest(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    JsonNode get(String path) {
        try {
            HttpResponse<String> response =
                    http.send(
                            HttpRequest.newBuilder(URI.create(baseUrl + path))
                                    .timeout(Duration.ofSeconds(10))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "GET "
                                + path
                                + " returned "
                                + response.statusCode()
                                + ": "
                                + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    String state(String jobId) {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** The root-cause exception of a failed or restarting job, for error messages. */
    String rootException(String jobId) {
        JsonNode exceptions = get("/jobs/" + jobId + "/exceptions?maxExceptions=1");
        String root = exceptions.path("root-exception").asText("");
        return root.length() > 3000 ? root.substring(0, 3000) + " ..." : root;
    }

    /**
     * A counter summed over all subtasks: the first metric of the first vertex whose name contains
     * {@code vertexName} that matches {@code metric} (a regular expression on the metric id without
     * its subtask index), e.g. {@code Source__.*\.numRecordsOut}.
     */
    MetricRef findMetric(String jobId, String vertexName, String metric) {
        Pattern pattern = Pattern.compile(metric);
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            if (!vertex.path("name").asText().contains(vertexName)) {
                continue;
            }
            String vertexId = vertex.path("id").asText();
            for (JsonNode available :
                    get("/jobs/" + jobId + "/vertices/" + vertexId + "/metrics")) {
                String id = SUBTASK_PREFIX.matcher(available.path("id").asText()).replaceFirst("");
                if (pattern.matcher(id).matches()) {
                    return new MetricRef(jobId, vertexId, id);
                }
            }
        }
        return null;
    }

    /**
     * The metric's sum over subtasks as of now, not as of an earlier fetch: the REST API answers
     * from its metric cache and only then starts a new fetch from the TaskManagers (at most every
     * {@code metrics.fetcher.update-interval}), so one read after a pause returns the value from
     * the previous read's time, seconds or minutes old. The first read starts the fetch, the second
     * one returns its result.
     */
    double freshSum(MetricRef ref) throws InterruptedException {
        sum(ref);
        Thread.sleep(FRESH_READ_WAIT.toMillis());
        return sum(ref);
    }

    /**
     * The metric's sum over subtasks from the REST metric cache, or -1 while it is not reported
     * yet; up to one fetch behind (see {@link #freshSum}), fine when polled every few hundred ms.
     */
    double sum(MetricRef ref) {
        JsonNode values =
                get(
                        "/jobs/"
                                + ref.jobId
                                + "/vertices/"
                                + ref.vertexId
                                + "/subtasks/metrics?agg=sum&get="
                                + URLEncoder.encode(ref.metricId, StandardCharsets.UTF_8));
        for (JsonNode value : values) {
            return value.path("sum").asDouble(-1);
        }
        return -1;
    }

    /** Completed checkpoints, and the full state size of the latest one (bytes, -1 if none). */
    long[] checkpoints(String jobId) {
        JsonNode stats = get("/jobs/" + jobId + "/checkpoints");
        JsonNode latest = stats.path("latest").path("completed");
        return new long[] {
            stats.path("counts").path("completed").asLong(),
            latest.isMissingNode() || latest.isNull() ? -1 : latest.path("state_size").asLong(-1)
        };
    }

    /** Where a metric lives: job, vertex and metric id. */
    static final class MetricRef {
        final String jobId;
        final String vertexId;
        final String metricId;

        MetricRef(String jobId, String vertexId, String metricId) {
            this.jobId = jobId;
            this.vertexId = vertexId;
            this.metricId = metricId;
        }
    }
}
