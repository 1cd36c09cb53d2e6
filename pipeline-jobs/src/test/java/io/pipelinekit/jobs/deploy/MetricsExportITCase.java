package io.pipelinekit.jobs.deploy;

import io.pipelinekit.jobs.fraud.FraudDetectionJob;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.jobs.fraud.FraudTestBed;
import io.pipelinekit.jobs.inventory.InventorySyncJob;
import io.pipelinekit.jobs.inventory.InventorySyncOptions;
import io.pipelinekit.jobs.inventory.InventoryWorkload;
import io.pipelinekit.schemas.payments.GeoLocation;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.Ports;
import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both jobs run with Flink's Prometheus reporter, as deployed; every metric the Grafana dashboards
 * and the Prometheus alert rules in {@code deploy/} query is really exported, so a renamed metric
 * fails the build instead of leaving a dashboard empty or an alert silent.
 */
class MetricsExportITCase {

    private static final int REPORTER_PORT = Ports.unused();
    private static final Path DEPLOY = Paths.get("..", "deploy");
    private static final Pattern METRIC = Pattern.compile("\\bflink_[A-Za-z0-9_]+");

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();
    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(
                    FlinkTestCluster.builder()
                            .slotsPerTaskManager(8)
                            .configuration(reporter())
                            .s3Checkpoints(TestServices::s3));

    /** The reporter settings of deploy/ (compose and Kubernetes), on a free port. */
    private static Configuration reporter() {
        Configuration conf = new Configuration();
        conf.setString(
                "metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        conf.setString("metrics.reporter.prom.port", String.valueOf(REPORTER_PORT));
        return conf;
    }

    @Test
    void everyMetricTheDashboardsAndAlertRulesQueryIsExported() throws Exception {
        Set<String> referenced = referencedMetrics();
        assertThat(referenced).as("metrics queried in deploy/").isNotEmpty();

        PostgresDatabase source = POSTGRES.database();
        PostgresDatabase target = POSTGRES.service().createDatabase("metrics_target");
        FraudTestBed fraud =
                new FraudTestBed(
                        KAFKA.service(),
                        REGISTRY.registry().url(),
                        FLINK.cluster().checkpointDirectory());
        fraud.publishRules(FraudRules.defaults());
        try (InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 5)
                        .seed(200, 5)) {
            JobID inventory =
                    submit(
                            InventorySyncJob.NAME,
                            env -> InventorySyncJob.build(env, inventoryConfig(source, target)));
            JobID scoring =
                    submit(
                            FraudDetectionJob.NAME,
                            env -> FraudDetectionJob.build(env, fraud.config));
            fraud.awaitRulesInForce();
            List<PaymentTransaction> payments = new ArrayList<>(FraudTestBed.generate(3, 1_500));
            Instant last = payments.get(payments.size() - 1).getEventTime();
            // An off-globe payment (VALIDATE) and a malformed record (DESERIALIZE), so that both
            // kinds of dead-letter counters exist.
            payments.add(
                    PaymentTransaction.newBuilder(payments.get(0))
                            .setLocation(
                                    GeoLocation.newBuilder()
                                            .setLatitude(123.0)
                                            .setLongitude(0.0)
                                            .setCountry("XX")
                                            .build())
                            .build());
            fraud.produce(payments, last.plus(Duration.ofHours(1)), true);
            assertThat(fraud.awaitAlerts(1)).isNotEmpty();
            workload.applyChanges(50);
            FLINK.cluster().awaitCompletedCheckpoints(inventory, 2, Duration.ofMinutes(2));
            FLINK.cluster().awaitCompletedCheckpoints(scoring, 2, Duration.ofMinutes(2));

            Map<String, Integer> exported = awaitExported(referenced, Duration.ofSeconds(30));
            Path dump = Paths.get("target", "exported-metrics.txt");
            Files.write(dump, exported.keySet());
            Set<String> missing = new TreeSet<>(referenced);
            missing.removeAll(exported.keySet());
            assertThat(missing)
                    .as(
                            "metrics queried in deploy/ (dashboards, alert rules) that the jobs do"
                                    + " not export; the exported names are in %s",
                            dump.toAbsolutePath())
                    .isEmpty();
        } finally {
            FLINK.cluster().cancelAllJobs(Duration.ofSeconds(30));
        }
    }

    /** Builds a job on an environment (the jobs' {@code build} methods). */
    private interface JobBuilder {
        void build(StreamExecutionEnvironment env) throws Exception;
    }

    private static JobID submit(String name, JobBuilder job) throws Exception {
        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        job.build(env);
        return FLINK.cluster().submit(env, name).getJobID();
    }

    private static Configuration inventoryConfig(PostgresDatabase source, PostgresDatabase target) {
        String slot = "metrics_" + UUID.randomUUID().toString().substring(0, 8);
        String changelog = "inventory-changes-" + slot;
        String levels = "inventory-levels-" + slot;
        String dlq = "inventory-dlq-" + slot;
        KAFKA.service()
                .createTopics(
                        new NewTopic(changelog, 2, (short) 1),
                        new NewTopic(levels, 2, (short) 1)
                                .configs(Map.of("cleanup.policy", "compact")),
                        new NewTopic(dlq, 1, (short) 1));
        Configuration config = new Configuration();
        config.setString("kafka.bootstrap-servers", KAFKA.service().bootstrapServers());
        config.setString("kafka.source.group-id", "sync-" + slot);
        config.setString("schema-registry.url", REGISTRY.registry().url());
        config.setString("checkpoint.storage", FLINK.cluster().checkpointDirectory());
        config.setString("checkpoint.interval", "1 s");
        config.setString("dlq.topic", dlq);
        config.set(InventorySyncOptions.SLOT_NAME, slot);
        config.set(InventorySyncOptions.SOURCE_URL, source.jdbcUrl());
        config.set(InventorySyncOptions.SOURCE_USERNAME, source.username());
        config.set(InventorySyncOptions.SOURCE_PASSWORD, source.password());
        config.set(InventorySyncOptions.TARGET_URL, target.jdbcUrl());
        config.set(InventorySyncOptions.TARGET_USERNAME, target.username());
        config.set(InventorySyncOptions.TARGET_PASSWORD, target.password());
        config.set(InventorySyncOptions.CHANGELOG_TOPIC, changelog);
        config.set(InventorySyncOptions.STOCK_LEVELS_TOPIC, levels);
        config.set(InventorySyncOptions.RECONCILE_INTERVAL, Duration.ofSeconds(2));
        return config;
    }

    /** Metric names in the alert rules and dashboards under deploy/. */
    static Set<String> referencedMetrics() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path dir : List.of(DEPLOY.resolve("prometheus"), DEPLOY.resolve("grafana"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file :
                        files.filter(
                                        p ->
                                                p.toString().endsWith(".yml")
                                                        || p.toString().endsWith(".json"))
                                .filter(p -> !p.getFileName().toString().contains("-test"))
                                .toList()) {
                    Matcher m = METRIC.matcher(Files.readString(file, StandardCharsets.UTF_8));
                    while (m.find()) {
                        names.add(m.group());
                    }
                }
            }
        }
        return names;
    }

    /**
     * Scrapes the reporter until every referenced name appeared or the timeout passed (gauges of
     * late-starting operators appear a little after the first records).
     */
    private static Map<String, Integer> awaitExported(Set<String> referenced, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Integer> exported = scrape();
        while (!exported.keySet().containsAll(referenced) && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            exported = scrape();
        }
        return exported;
    }

    /** Metric name to number of series on the reporter's endpoint. */
    private static Map<String, Integer> scrape() throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://localhost:"
                                                                + REPORTER_PORT
                                                                + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("the reporter's endpoint answers").isEqualTo(200);
        Map<String, Integer> series = new TreeMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int end = line.indexOf('{');
            if (end < 0) {
                end = line.indexOf(' ');
            }
            series.merge(line.substring(0, end), 1, Integer::sum);
        }
        return series;
    }
}
