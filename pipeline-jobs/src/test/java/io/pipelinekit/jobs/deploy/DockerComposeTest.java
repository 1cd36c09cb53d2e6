package io.pipelinekit.jobs.deploy;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.jobs.fraud.FraudDetectionJob;
import io.pipelinekit.jobs.fraud.FraudDetectionOptions;
import io.pipelinekit.jobs.inventory.InventorySyncJob;
import io.pipelinekit.jobs.inventory.InventorySyncOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * docker-compose.yml, .env and deploy/ agree with the jobs, their configuration and the project.
 */
class DockerComposeTest {

    private static final String DOCKERFILE = "deploy/docker/Dockerfile";

    /** Folders another part of the project writes; the stack only mounts them. */
    private static final String DASHBOARDS = "deploy/grafana/dashboards";

    private static final String ALERT_RULES = "deploy/prometheus";

    private static final String REPORTER_FACTORY =
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

    /** Topics that must be compacted: keyed state that consumers rebuild from the topic. */
    private static final Set<String> COMPACTED_TOPIC_OPTIONS =
            Set.of(
                    InventorySyncOptions.STOCK_LEVELS_TOPIC.key(),
                    FraudDetectionOptions.RULES_TOPIC.key());

    /**
     * The jobs the submitter may run, each with the loader its main() uses. FraudDetectionJob has
     * no public loadConfig: its loader is rebuilt here from its public OPTIONS with the options its
     * main() requires (keep them in step).
     */
    private static final List<Job> JOBS =
            List.of(
                    new Job(
                            InventorySyncJob.class,
                            InventorySyncJob.OPTIONS,
                            (file, env) ->
                                    InventorySyncJob.loadConfig(
                                            new String[] {"--config", file}, env)),
                    new Job(
                            FraudDetectionJob.class,
                            FraudDetectionJob.OPTIONS,
                            (file, env) ->
                                    FraudDetectionJob.loadConfig(
                                            new String[] {"--config", file}, env)));

    private static ComposeProject project;

    @BeforeAll
    static void load() {
        Path root = Paths.get("..").toAbsolutePath().normalize();
        assertThat(root.resolve("docker-compose.yml"))
                .as(
                        "docker-compose.yml must be in the repository root %s (run the test from"
                                + " pipeline-jobs)",
                        root)
                .isRegularFile();
        assertThat(root.resolve(".env"))
                .as(".env must sit next to docker-compose.yml: it pins the images")
                .isRegularFile();
        project = ComposeProject.load(root);
    }

    // ---------------------------------------------------------------- images and the Dockerfile

    @Test
    void everyImageIsPinnedInDotEnvOrBuiltFromTheJobDockerfile() {
        List<String> problems = new ArrayList<>();
        Set<String> usedImageVariables = new LinkedHashSet<>();
        Pattern reference = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
        for (String service : project.serviceNames()) {
            JsonNode node = project.service(service);
            if (node.has("build")) {
                JsonNode build = node.path("build");
                String context =
                        build.isTextual() ? build.asText() : build.path("context").asText(".");
                String dockerfile = build.path("dockerfile").asText("Dockerfile");
                if (!project.root().resolve(context).normalize().equals(project.root())
                        || !DOCKERFILE.equals(dockerfile)) {
                    problems.add(
                            service
                                    + " builds "
                                    + context
                                    + " with "
                                    + dockerfile
                                    + ": build the job image (context: ., dockerfile: "
                                    + DOCKERFILE
                                    + ")");
                }
                String flinkImage = build.path("args").path("FLINK_IMAGE").asText("");
                Matcher matcher = reference.matcher(flinkImage);
                if (!matcher.matches()) {
                    problems.add(
                            service
                                    + " builds without args FLINK_IMAGE: ${FLINK_IMAGE}: pass the"
                                    + " base image pinned in .env");
                } else {
                    usedImageVariables.add(matcher.group(1));
                }
                if (node.has("image")) {
                    problems.add(
                            service
                                    + " has both build and image: drop image, compose would"
                                    + " push/pull that name");
                }
                continue;
            }
            String image = node.path("image").asText("");
            Matcher matcher = reference.matcher(image);
            if (!matcher.matches()) {
                problems.add(
                        service
                                + " has image '"
                                + image
                                + "': write image: ${SOME_IMAGE} and pin SOME_IMAGE in .env");
                continue;
            }
            String variable = matcher.group(1);
            usedImageVariables.add(variable);
            String value = project.dotEnv().get(variable);
            if (value == null) {
                problems.add(
                        service
                                + " uses ${"
                                + variable
                                + "}, which .env does not define: add "
                                + variable
                                + "=<image>:<version>");
            } else {
                pinningProblem(value)
                        .ifPresent(p -> problems.add(variable + "=" + value + " in .env " + p));
            }
        }
        project.dotEnv().keySet().stream()
                .filter(key -> key.endsWith("_IMAGE") && !usedImageVariables.contains(key))
                .forEach(
                        key ->
                                problems.add(
                                        key
                                                + " in .env is used by no service: remove it or use"
                                                + " it"));
        assertNoProblems("Images of docker-compose.yml", problems);
    }

    @Test
    void theDockerfileBuildsOnTheProjectsFlinkAndShipsTheJobJarAndTheS3Plugin() throws Exception {
        String dockerfile =
                Files.readString(project.root().resolve(DOCKERFILE), StandardCharsets.UTF_8);
        String flinkImage = project.dotEnv().get("FLINK_IMAGE");
        assertThat(argDefault(dockerfile, "FLINK_IMAGE"))
                .as(
                        "%s: ARG FLINK_IMAGE's default must equal FLINK_IMAGE in .env, so a plain"
                                + " docker build uses the same base; set it to %s",
                        DOCKERFILE, flinkImage)
                .isEqualTo(flinkImage);
        assertThat(dockerfile)
                .as("%s must build FROM ${FLINK_IMAGE}, the base pinned in .env", DOCKERFILE)
                .containsPattern("(?m)^FROM \\$\\{FLINK_IMAGE}\\s*$");
        String jar = "pipeline-jobs/target/pipeline-jobs-" + rootPom("/project/version") + ".jar";
        assertThat(argDefault(dockerfile, "JOB_JAR"))
                .as(
                        "%s: ARG JOB_JAR must default to the shaded jar of this version, %s",
                        DOCKERFILE, jar)
                .isEqualTo(jar);
        assertThat(dockerfile)
                .as(
                        "%s must enable the S3 filesystem: copy opt/flink-s3-fs-hadoop-*.jar into"
                                + " plugins/s3-fs-hadoop/",
                        DOCKERFILE)
                .contains("opt/flink-s3-fs-hadoop-")
                .contains("plugins/s3-fs-hadoop");
        assertThat(jobJarInImage(dockerfile))
                .as(
                        "%s must COPY ${JOB_JAR} to /opt/flink/usrlib/pipeline-jobs.jar, where the"
                                + " submitter and the Kubernetes manifests find it",
                        DOCKERFILE)
                .isEqualTo("/opt/flink/usrlib/pipeline-jobs.jar");
    }

    @Test
    void imageVersionsAreTheProjectsVersions() throws Exception {
        String flinkVersion = rootPom("/project/properties/flink.version");
        String flinkTag = tag(project.dotEnv().getOrDefault("FLINK_IMAGE", ""));
        assertThat(flinkTag.equals(flinkVersion) || flinkTag.startsWith(flinkVersion + "-"))
                .as(
                        "FLINK_IMAGE in .env has tag '%s', but the project builds on Flink %s"
                                + " (flink.version in pom.xml): use flink:%s-scala_2.12-java17",
                        flinkTag, flinkVersion, flinkVersion)
                .isTrue();
        String kafkaVersion = rootPom("/project/properties/kafka.broker.version");
        assertThat(tag(project.dotEnv().getOrDefault("KAFKA_IMAGE", "")))
                .as(
                        "KAFKA_IMAGE in .env must be the broker version the tests run"
                                + " (kafka.broker.version in pom.xml): apache/kafka:%s",
                        kafkaVersion)
                .isEqualTo(kafkaVersion);
    }

    // ---------------------------------------------------------------- start order

    @Test
    void healthChecksAndDependenciesBringTheStackUpInOrder() {
        List<String> problems = new ArrayList<>();
        for (String service : project.serviceNames()) {
            JsonNode node = project.service(service);
            if (!node.has("restart")) {
                problems.add(
                        service
                                + " declares no restart policy: write restart: \"no\" for a"
                                + " one-shot service, restart: unless-stopped for a long-running"
                                + " one");
            } else if (!isOneShot(service) && !hasHealthCheck(service)) {
                problems.add(
                        service
                                + " runs long but has no healthcheck: add one, so services that"
                                + " depend on it wait until it works");
            }
            JsonNode dependsOn = node.path("depends_on");
            if (dependsOn.isArray()) {
                problems.add(
                        service
                                + " lists depends_on without conditions: use the long form with"
                                + " condition: service_healthy or service_completed_successfully");
                continue;
            }
            for (Map.Entry<String, JsonNode> dependency : fields(dependsOn).entrySet()) {
                String target = dependency.getKey();
                String condition =
                        dependency.getValue().path("condition").asText("service_started");
                if (!project.hasService(target)) {
                    problems.add(service + " depends on " + target + ", which is no service");
                } else if ("service_healthy".equals(condition)) {
                    if (!hasHealthCheck(target)) {
                        problems.add(
                                service
                                        + " waits for "
                                        + target
                                        + " to be healthy, but "
                                        + target
                                        + " has no healthcheck: add one");
                    }
                } else if ("service_completed_successfully".equals(condition)) {
                    if (!isOneShot(target)) {
                        problems.add(
                                service
                                        + " waits for "
                                        + target
                                        + " to complete, but "
                                        + target
                                        + " runs long (restart is not \"no\"): wait for"
                                        + " service_healthy instead");
                    }
                } else {
                    problems.add(
                            service
                                    + " depends on "
                                    + target
                                    + " with condition "
                                    + condition
                                    + ": use service_healthy or service_completed_successfully, so"
                                    + " it starts once "
                                    + target
                                    + " is ready");
                }
            }
        }
        assertNoProblems("Health checks and depends_on of docker-compose.yml", problems);
    }

    @Test
    void theSubmitterWaitsForEverythingTheJobsUse() {
        String submitter = submitter();
        Set<String> needed = new LinkedHashSet<>();
        needed.add(jobManager());
        needed.add(taskManager());
        needed.add(topicService());
        needed.add(bucketService());
        for (Job job : JOBS) {
            needed.addAll(endpointServices(effectiveConfig(job)).values());
        }
        Set<String> dependencies = dependencies(submitter);
        List<String> problems = new ArrayList<>();
        for (String service : needed) {
            if (!dependencies.contains(service)) {
                problems.add(
                        submitter
                                + " must depend on "
                                + service
                                + " (directly or through another service): the jobs need it when"
                                + " they are submitted");
            }
        }
        assertNoProblems("depends_on of the job submitter", problems);
    }

    // ---------------------------------------------------------------- ports and mounts

    @Test
    void publishedHostPortsAreUnique() {
        Map<String, String> owners = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (String service : project.serviceNames()) {
            for (JsonNode port : project.service(service).path("ports")) {
                String spec;
                if (port.isObject()) {
                    spec =
                            port.path("published").asText("")
                                    + ":"
                                    + port.path("target").asText()
                                    + "/"
                                    + port.path("protocol").asText("tcp");
                } else if (port.isTextual()) {
                    spec = project.interpolate(port.asText());
                } else {
                    problems.add(
                            service
                                    + " publishes "
                                    + port
                                    + " unquoted: quote port mappings (YAML reads 9000:9000 as a"
                                    + " number)");
                    continue;
                }
                String protocol =
                        spec.contains("/") ? spec.substring(spec.indexOf('/') + 1) : "tcp";
                String[] parts = spec.replaceFirst("/.*", "").split(":");
                if (parts.length < 2 || parts[parts.length - 2].isEmpty()) {
                    continue; // container port only: docker picks a free host port
                }
                for (String hostPort : expand(parts[parts.length - 2])) {
                    String previous = owners.put(hostPort + "/" + protocol, service);
                    if (previous != null) {
                        problems.add(
                                "host port "
                                        + hostPort
                                        + "/"
                                        + protocol
                                        + " is published by both "
                                        + previous
                                        + " and "
                                        + service
                                        + ": pick another host port for one of them");
                    }
                }
            }
        }
        assertNoProblems("Published ports of docker-compose.yml", problems);
    }

    @Test
    void everyMountedRepositoryPathExists() {
        List<String> problems = new ArrayList<>();
        Path root = project.root();
        for (String service : project.serviceNames()) {
            for (ComposeProject.Mount mount : project.mounts(service)) {
                if (!mount.bind()) {
                    continue;
                }
                Path source = root.resolve(mount.source()).normalize();
                String relative = root.relativize(source).toString().replace('\\', '/');
                if (!source.startsWith(root)) {
                    problems.add(
                            service
                                    + " mounts "
                                    + mount.source()
                                    + ", outside the repository: mount files of the repository"
                                    + " only");
                } else if (!Files.exists(source)
                        && !relative.equals(DASHBOARDS)
                        && !relative.equals(ALERT_RULES)) {
                    problems.add(
                            service
                                    + " mounts "
                                    + mount.source()
                                    + " at "
                                    + mount.target()
                                    + ", which does not exist: create it or fix the path (docker"
                                    + " would mount an empty folder)");
                }
            }
        }
        assertNoProblems("Bind mounts of docker-compose.yml", problems);
    }

    @Test
    void dashboardsAndAlertRulesAreMountedWhereGrafanaAndPrometheusLoadThem() {
        String grafana = grafana();
        String dashboards =
                mountTarget(grafana, DASHBOARDS)
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                grafana
                                                        + " must mount ./"
                                                        + DASHBOARDS
                                                        + " (the dashboards) read-only, e.g. at"
                                                        + " /var/lib/grafana/dashboards"));
        JsonNode providers =
                provisioning(grafana, "/etc/grafana/provisioning/dashboards").path("providers");
        List<String> paths = new ArrayList<>();
        providers.forEach(p -> paths.add(p.path("options").path("path").asText()));
        assertThat(paths)
                .as(
                        "Grafana's dashboard provider (deploy/compose/grafana/) must load the"
                                + " folder where ./%s is mounted: set options.path to %s",
                        DASHBOARDS, dashboards)
                .contains(dashboards);

        String prometheus = prometheus();
        String rules =
                mountTarget(prometheus, ALERT_RULES)
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                prometheus
                                                        + " must mount ./"
                                                        + ALERT_RULES
                                                        + " (the alert rules) read-only, e.g. at"
                                                        + " /etc/prometheus/rules"));
        List<String> ruleFiles = new ArrayList<>();
        prometheusConfig().path("rule_files").forEach(f -> ruleFiles.add(f.asText()));
        assertThat(ruleFiles)
                .as(
                        "prometheus.yml must load the alert rules where ./%s is mounted: add"
                                + " rule_files: [%s/*-rules.yml]",
                        ALERT_RULES, rules)
                .anyMatch(file -> file.startsWith(rules + "/"));
    }

    @Test
    void prometheusLoadsOnlyAlertRuleFiles() throws IOException {
        String prometheus = prometheus();
        Path folder = project.root().resolve(ALERT_RULES);
        if (!Files.isDirectory(folder)) {
            return; // written elsewhere; checked once it exists
        }
        List<String> problems = new ArrayList<>();
        List<Path> loaded = new ArrayList<>();
        for (JsonNode ruleFile : prometheusConfig().path("rule_files")) {
            String pattern = ruleFile.asText();
            int slash = pattern.lastIndexOf('/');
            Optional<Path> dir = project.hostPath(prometheus, pattern.substring(0, slash));
            if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
                problems.add(
                        "rule_files entry "
                                + pattern
                                + " is in no folder mounted from the repository: mount ./"
                                + ALERT_RULES
                                + " there");
                continue;
            }
            PathMatcher matcher =
                    FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(slash + 1));
            try (var files = Files.list(dir.get())) {
                files.filter(f -> matcher.matches(f.getFileName())).sorted().forEach(loaded::add);
            }
        }
        for (Path file : loaded) {
            JsonNode rules = ComposeProject.readYaml(file);
            if (!rules.path("groups").isArray() || rules.has("tests")) {
                problems.add(
                        "rule_files of prometheus.yml match "
                                + project.root().relativize(file)
                                + ", which is no rule file (no groups, or promtool tests): narrow"
                                + " the pattern, Prometheus would not start");
            }
        }
        if (loaded.isEmpty()) {
            problems.add(
                    "rule_files of prometheus.yml match no file in ./"
                            + ALERT_RULES
                            + ": the alert rules would not load; fix the pattern");
        }
        assertNoProblems("Alert rules loaded by Prometheus", problems);
    }

    @Test
    void everyDataSourceTheDashboardsUseIsProvisioned() throws IOException {
        Path folder = project.root().resolve(DASHBOARDS);
        if (!Files.isDirectory(folder)) {
            return; // written elsewhere; checked once it exists
        }
        Set<String> provisioned = new LinkedHashSet<>();
        provisioning(grafana(), "/etc/grafana/provisioning/datasources")
                .path("datasources")
                .forEach(d -> provisioned.add(d.path("uid").asText()));
        List<String> problems = new ArrayList<>();
        try (var files = Files.list(folder)) {
            for (Path dashboard :
                    files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                for (JsonNode uid : ComposeProject.readYaml(dashboard).findValues("datasource")) {
                    String used = uid.path("uid").asText("");
                    if (!used.isEmpty()
                            && !used.startsWith("$")
                            && !used.startsWith("-- ")
                            && !provisioned.contains(used)) {
                        problems.add(
                                project.root().relativize(dashboard)
                                        + " queries data source uid "
                                        + used
                                        + ", which deploy/compose/grafana/ does not provision (it"
                                        + " has "
                                        + provisioned
                                        + "): give the Prometheus data source that uid");
                    }
                }
            }
        }
        assertNoProblems(
                "Data sources of the dashboards", new ArrayList<>(new LinkedHashSet<>(problems)));
    }

    @Test
    void grafanaQueriesThePrometheusService() {
        String prometheus = prometheus();
        List<String> urls = new ArrayList<>();
        provisioning(grafana(), "/etc/grafana/provisioning/datasources")
                .path("datasources")
                .forEach(
                        d -> {
                            if ("prometheus".equals(d.path("type").asText())) {
                                urls.add(d.path("url").asText());
                            }
                        });
        assertThat(urls)
                .as(
                        "Grafana needs a data source of type prometheus with url http://%s:9090"
                                + " (the Prometheus service)",
                        prometheus)
                .containsExactly("http://" + prometheus + ":9090");
    }

    // ---------------------------------------------------------------- the jobs' configuration

    @Test
    void jobConfigFilesLoadThroughTheJobsLoaders(@TempDir Path temp) throws IOException {
        for (Submission submission : submissions()) {
            Job job = job(submission);
            Path file = configFile(submission);
            try {
                job.loader().apply(file.toString(), secretEnvironment());
            } catch (RuntimeException e) {
                fail(
                        file
                                + " does not load as "
                                + job.main().getSimpleName()
                                + " loads it: "
                                + e.getMessage(),
                        e);
            }
            Path withUnknownKey = temp.resolve(file.getFileName().toString());
            Files.writeString(
                    withUnknownKey,
                    Files.readString(file) + "\ncompose-test.no-such-option: \"x\"\n");
            assertThatThrownBy(
                            () ->
                                    job.loader()
                                            .apply(withUnknownKey.toString(), secretEnvironment()))
                    .as(
                            "%s's loader must refuse unknown keys, or this test cannot catch a"
                                    + " misspelt option in %s",
                            job.main().getSimpleName(), file)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("compose-test.no-such-option");
        }
    }

    @Test
    void secretsComeFromTheSubmittersEnvironmentNotFromTheFiles() {
        List<String> problems = new ArrayList<>();
        Set<String> knownVariables = new LinkedHashSet<>();
        for (Submission submission : submissions()) {
            Job job = job(submission);
            PipelineConfig fromFile =
                    PipelineConfig.loader()
                            .options(job.options())
                            .args("--config", configFile(submission).toString())
                            .environment(Map.of())
                            .load();
            Configuration effective = effectiveConfig(job);
            Map<String, String> values = effective.toMap();
            for (ConfigOption<?> option : options(job.options())) {
                knownVariables.add(PipelineConfig.environmentVariable(option.key()));
                if (PipelineConfig.isSecret(option.key())
                        && fromFile.source(option.key()) == PipelineConfig.Source.FILE) {
                    problems.add(
                            project.root().relativize(configFile(submission))
                                    + " holds the secret "
                                    + option.key()
                                    + ": remove it and set "
                                    + PipelineConfig.environmentVariable(option.key())
                                    + " in the environment of "
                                    + submitter());
                }
                String key = option.key();
                if (key.endsWith(".username") && !blank(values.get(key))) {
                    String password =
                            key.substring(0, key.length() - ".username".length()) + ".password";
                    if (blank(values.get(password))) {
                        problems.add(
                                project.root().relativize(configFile(submission))
                                        + " sets "
                                        + key
                                        + " but nothing sets "
                                        + password
                                        + ": add "
                                        + PipelineConfig.environmentVariable(password)
                                        + " to the environment of "
                                        + submitter());
                    }
                }
            }
        }
        for (String variable : secretEnvironment().keySet()) {
            if (!knownVariables.contains(variable)) {
                problems.add(
                        submitter()
                                + " sets "
                                + variable
                                + ", which sets no option of the submitted jobs (the loaders ignore"
                                + " it): fix the name, see docs/options.md");
            }
        }
        assertNoProblems("Secrets of the job configurations", problems);
    }

    @Test
    void everyTopicTheJobsUseIsCreatedByTheTopicService() {
        String topicService = topicService();
        Map<String, String> created = createdTopics();
        List<String> problems = new ArrayList<>();
        for (Job job : JOBS) {
            Configuration config = effectiveConfig(job);
            for (ConfigOption<?> option : options(job.options())) {
                String key = option.key();
                if (!key.endsWith(".topic") && !key.endsWith("-topic")) {
                    continue;
                }
                Object value = config.get(option);
                String topic = value == null ? "" : value.toString();
                if (topic.isBlank()) {
                    continue;
                }
                String line = created.get(topic);
                boolean compacted = line != null && line.contains("cleanup.policy=compact");
                if (line == null) {
                    problems.add(
                            job.name()
                                    + " uses topic "
                                    + topic
                                    + " ("
                                    + key
                                    + ") but "
                                    + topicService
                                    + " does not create it: add a kafka-topics.sh --create line for"
                                    + " it (brokers do not create topics here)");
                } else if (COMPACTED_TOPIC_OPTIONS.contains(key) && !compacted) {
                    problems.add(
                            topic
                                    + " ("
                                    + key
                                    + ") must be compacted: add --config cleanup.policy=compact to"
                                    + " its line in "
                                    + topicService);
                } else if (!COMPACTED_TOPIC_OPTIONS.contains(key) && compacted) {
                    problems.add(
                            topic
                                    + " ("
                                    + key
                                    + ") must keep every record, not only the latest per key:"
                                    + " remove cleanup.policy=compact from its line in "
                                    + topicService);
                }
            }
        }
        assertNoProblems("Topics of " + topicService, problems);
    }

    @Test
    void theJobsReachTheComposeServicesTheirConfigurationsName() {
        List<String> problems = new ArrayList<>();
        for (Job job : JOBS) {
            Configuration config = effectiveConfig(job);
            for (Map.Entry<String, String> endpoint : endpointServices(config).entrySet()) {
                if (!project.hasService(endpoint.getValue())) {
                    problems.add(
                            job.name()
                                    + ": "
                                    + endpoint.getKey()
                                    + " names host "
                                    + endpoint.getValue()
                                    + ", which is no compose service: use the service name");
                }
            }
            String kafka = endpointServices(config).get(KafkaOptions.BOOTSTRAP_SERVERS.key());
            String advertised =
                    project.environment(kafka).getOrDefault("KAFKA_ADVERTISED_LISTENERS", "");
            for (String server : config.get(KafkaOptions.BOOTSTRAP_SERVERS).split(",")) {
                if (!advertised.contains("://" + server.strip())) {
                    problems.add(
                            job.name()
                                    + " connects to Kafka at "
                                    + server
                                    + ", which "
                                    + kafka
                                    + " does not advertise (KAFKA_ADVERTISED_LISTENERS="
                                    + advertised
                                    + "): clients would be redirected elsewhere");
                }
            }
        }
        assertNoProblems("Endpoints of the job configurations", problems);
    }

    @Test
    void postgresHasLogicalDecodingAndTheDatabasesUsersAndPasswordsOfInventorySync()
            throws IOException {
        Configuration config = effectiveConfig(job(InventorySyncJob.class));
        URI source = jdbc(config.get(InventorySyncOptions.SOURCE_URL));
        URI target = jdbc(config.get(InventorySyncOptions.TARGET_URL));
        String postgres = source.getHost();
        assertThat(project.commandLine(postgres))
                .as(
                        "%s must run with wal_level=logical (command: [\"postgres\", \"-c\","
                            + " \"wal_level=logical\", ...]): inventory-sync captures changes by"
                            + " logical decoding",
                        postgres)
                .containsSequence("-c", "wal_level=logical");
        Map<String, String> env = project.environment(postgres);
        assertThat(source.getPath())
                .as(
                        "inventory.source.url must name the source database %s creates"
                                + " (INVENTORY_SOURCE_DB=%s)",
                        postgres, env.get("INVENTORY_SOURCE_DB"))
                .isEqualTo("/" + env.get("INVENTORY_SOURCE_DB"));
        assertThat(target.getPath())
                .as(
                        "inventory.target.url must name the target database %s creates"
                                + " (INVENTORY_TARGET_DB=%s), separate from the source",
                        postgres, env.get("INVENTORY_TARGET_DB"))
                .isEqualTo("/" + env.get("INVENTORY_TARGET_DB"))
                .isNotEqualTo(source.getPath());
        assertThat(
                        List.of(
                                config.get(InventorySyncOptions.SOURCE_USERNAME),
                                config.get(InventorySyncOptions.TARGET_USERNAME)))
                .as(
                        "inventory-sync must log in as the user %s creates (INVENTORY_DB_USER)",
                        postgres)
                .containsOnly(env.get("INVENTORY_DB_USER"));
        // Compared without printing them.
        assertThat(
                        Objects.equals(
                                        config.get(InventorySyncOptions.SOURCE_PASSWORD),
                                        env.get("INVENTORY_DB_PASSWORD"))
                                && Objects.equals(
                                        config.get(InventorySyncOptions.TARGET_PASSWORD),
                                        env.get("INVENTORY_DB_PASSWORD")))
                .as(
                        "the passwords %s passes to inventory-sync must be the one %s gives the"
                                + " user: set both PIPELINEKIT_INVENTORY_*_PASSWORD to"
                                + " ${INVENTORY_DB_PASSWORD}",
                        submitter(), postgres)
                .isTrue();

        Path init =
                project.mounts(postgres).stream()
                        .filter(
                                m ->
                                        m.bind()
                                                && m.target()
                                                        .startsWith("/docker-entrypoint-initdb.d/"))
                        .map(m -> project.root().resolve(m.source()).normalize())
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                postgres
                                                        + " must mount"
                                                        + " deploy/compose/postgres/10-inventory.sh"
                                                        + " into /docker-entrypoint-initdb.d/"));
        Matcher schema = Pattern.compile("--file\\s+(\\S+)").matcher(Files.readString(init));
        assertThat(schema.find())
                .as("%s must load the source schema with psql --file <path>", init)
                .isTrue();
        assertThat(project.hostPath(postgres, schema.group(1)))
                .as(
                        "%s loads %s, which %s must mount from the job's own schema",
                        init, schema.group(1), postgres)
                .contains(
                        project.root()
                                .resolve(
                                        "pipeline-jobs/src/main/resources/inventory/source-schema.sql"));
    }

    @Test
    void kafkaAllowsTheTransactionsOfTheJobsCheckpointPresets() {
        List<String> problems = new ArrayList<>();
        for (Job job : JOBS) {
            Configuration config = effectiveConfig(job);
            String kafka = endpointServices(config).get(KafkaOptions.BOOTSTRAP_SERVERS.key());
            long brokerMax =
                    Long.parseLong(
                            project.environment(kafka)
                                    .getOrDefault("KAFKA_TRANSACTION_MAX_TIMEOUT_MS", "900000"));
            // Without a preset each job picks its own default (inventory-sync: LARGE_STATE): assume
            // the longest.
            List<CheckpointPreset> presets =
                    config.contains(CheckpointOptions.PRESET)
                            ? List.of(config.get(CheckpointOptions.PRESET))
                            : Arrays.asList(CheckpointPreset.values());
            for (CheckpointPreset preset : presets) {
                Configuration withPreset = new Configuration(config);
                withPreset.set(CheckpointOptions.PRESET, preset);
                Duration needed =
                        CheckpointSettings.fromConfig(withPreset).longestOpenTransaction();
                if (brokerMax <= needed.toMillis()) {
                    problems.add(
                            job.name()
                                    + " with checkpoint preset "
                                    + preset
                                    + (presets.size() > 1
                                            ? " (checkpoint.preset unset: its default could be"
                                                    + " any)"
                                            : "")
                                    + " keeps transactions open up to "
                                    + needed.toMillis()
                                    + " ms, but "
                                    + kafka
                                    + " allows "
                                    + brokerMax
                                    + " ms: raise KAFKA_TRANSACTION_MAX_TIMEOUT_MS (the job refuses"
                                    + " to start)");
                }
            }
        }
        assertNoProblems("Kafka transaction timeouts", problems);
    }

    // ---------------------------------------------------------------- checkpoints and S3

    @Test
    void checkpointsAndSavepointsGoToTheBucketTheMcServiceCreates() {
        String bucketService = bucketService();
        String bucket = createdBucket();
        List<String> problems = new ArrayList<>();
        for (Job job : JOBS) {
            URI storage = URI.create(effectiveConfig(job).get(CheckpointOptions.STORAGE));
            if (!"s3".equals(storage.getScheme()) || !bucket.equals(storage.getHost())) {
                problems.add(
                        job.name()
                                + " checkpoints to "
                                + storage
                                + ": use s3://"
                                + bucket
                                + "/... (the bucket "
                                + bucketService
                                + " creates)");
            }
        }
        for (String flink : List.of(jobManager(), taskManager())) {
            Map<String, String> properties = flinkProperties(flink);
            for (String key :
                    List.of(
                            "execution.checkpointing.dir",
                            "execution.checkpointing.savepoint-dir")) {
                String dir = properties.getOrDefault(key, "");
                if (!dir.startsWith("s3://" + bucket + "/")) {
                    problems.add(
                            flink
                                    + " has "
                                    + key
                                    + "="
                                    + dir
                                    + ": set it to s3://"
                                    + bucket
                                    + "/... in FLINK_PROPERTIES");
                }
            }
        }
        assertNoProblems("Checkpoint storage", problems);
    }

    @Test
    void flinkReachesMinioWithItsCredentials() {
        String minio =
                project.onlyService(
                        "MinIO", s -> project.environment(s).containsKey("MINIO_ROOT_USER"));
        Map<String, String> credentials = project.environment(minio);
        List<String> problems = new ArrayList<>();
        for (String flink : List.of(jobManager(), taskManager())) {
            Map<String, String> properties = flinkProperties(flink);
            expect(problems, flink, properties, "s3.endpoint", "http://" + minio + ":9000");
            expect(problems, flink, properties, "s3.path.style.access", "true");
            expect(
                    problems,
                    flink,
                    properties,
                    "s3.access-key",
                    credentials.get("MINIO_ROOT_USER"));
            expect(
                    problems,
                    flink,
                    properties,
                    "s3.secret-key",
                    credentials.get("MINIO_ROOT_PASSWORD"));
        }
        String alias = createdBucketAlias();
        String expected =
                "http://"
                        + credentials.get("MINIO_ROOT_USER")
                        + ":"
                        + credentials.get("MINIO_ROOT_PASSWORD")
                        + "@"
                        + minio
                        + ":9000";
        if (!expected.equals(project.environment(bucketService()).get("MC_HOST_" + alias))) {
            problems.add(
                    bucketService()
                            + " must reach "
                            + minio
                            + " as alias "
                            + alias
                            + ": set MC_HOST_"
                            + alias
                            + ": http://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@"
                            + minio
                            + ":9000");
        }
        assertNoProblems("S3 settings of Flink", problems);
    }

    @Test
    void flinkPropertiesSurviveTheImageEntrypointAndAgreeBetweenJobManagerAndTaskManager() {
        List<String> problems = new ArrayList<>();
        for (String flink : List.of(jobManager(), taskManager())) {
            String text = project.environment(flink).get("FLINK_PROPERTIES");
            if (text == null) {
                problems.add(
                        flink
                                + " has no FLINK_PROPERTIES: the Flink configuration of the stack"
                                + " goes there");
                continue;
            }
            for (String line : text.split("\n")) {
                String stripped = line.strip();
                if (stripped.isEmpty()) {
                    continue;
                }
                int colon = stripped.indexOf(':');
                if (stripped.startsWith("#") || colon <= 0) {
                    problems.add(
                            flink
                                    + " FLINK_PROPERTIES line '"
                                    + line
                                    + "' is not 'key: value': the image's entrypoint would write it"
                                    + " as an option (no comments there)");
                } else if (stripped.substring(colon + 1).strip().matches(".*\\s.*")) {
                    problems.add(
                            flink
                                    + " FLINK_PROPERTIES line '"
                                    + line
                                    + "' has spaces in its value, which the image's entrypoint"
                                    + " deletes: write the value without spaces");
                }
            }
        }
        Map<String, String> jm = flinkProperties(jobManager());
        Map<String, String> tm = flinkProperties(taskManager());
        for (String key : new LinkedHashSet<>(union(jm.keySet(), tm.keySet()))) {
            if ((key.startsWith("s3.")
                            || key.startsWith("metrics.")
                            || key.startsWith("execution.checkpointing."))
                    && !Objects.equals(jm.get(key), tm.get(key))) {
                problems.add(
                        key
                                + " is "
                                + jm.get(key)
                                + " on "
                                + jobManager()
                                + " but "
                                + tm.get(key)
                                + " on "
                                + taskManager()
                                + ": give both the same value");
            }
        }
        assertNoProblems("FLINK_PROPERTIES", problems);
    }

    // ---------------------------------------------------------------- submission

    @Test
    void theSubmitterRunsBothJobsFromTheImagesJar() throws Exception {
        String submitter = submitter();
        String dockerfile =
                Files.readString(project.root().resolve(DOCKERFILE), StandardCharsets.UTF_8);
        String jar = jobJarInImage(dockerfile);
        assertThat(project.service(submitter).path("build").path("dockerfile").asText())
                .as(
                        "%s must run the job image (build: dockerfile: %s), which holds the jar",
                        submitter, DOCKERFILE)
                .isEqualTo(DOCKERFILE);
        List<String> problems = new ArrayList<>();
        Set<String> mains = new LinkedHashSet<>();
        for (Submission submission : submissions()) {
            mains.add(submission.mainClass());
            if (!jar.equals(submission.jar())) {
                problems.add(
                        submitter
                                + " runs "
                                + submission.jar()
                                + ", but "
                                + DOCKERFILE
                                + " puts the jar at "
                                + jar
                                + ": run "
                                + jar);
            }
            if (!submission.detached()) {
                problems.add(
                        submitter
                                + " runs "
                                + submission.mainClass()
                                + " without -d: the one-shot service would never complete");
            }
            if (!(jobManager() + ":8081").equals(submission.jobManager())) {
                problems.add(
                        submitter
                                + " submits "
                                + submission.mainClass()
                                + " to '"
                                + submission.jobManager()
                                + "': pass -m "
                                + jobManager()
                                + ":8081 (the JobManager's REST port)");
            }
            try {
                Method main =
                        Class.forName(submission.mainClass()).getMethod("main", String[].class);
                if (!Modifier.isStatic(main.getModifiers())) {
                    problems.add(submission.mainClass() + ".main is not static");
                }
            } catch (ClassNotFoundException | NoSuchMethodException e) {
                problems.add(
                        submitter
                                + " runs -c "
                                + submission.mainClass()
                                + ", which is no class with a main method in pipeline-jobs ("
                                + e
                                + "): fix the class name");
            }
            if (project.hostPath(submitter, submission.config())
                    .filter(Files::isRegularFile)
                    .isEmpty()) {
                problems.add(
                        submitter
                                + " passes --config "
                                + submission.config()
                                + ", which no volume of "
                                + submitter
                                + " mounts from a file in the repository: mount"
                                + " deploy/compose/<job>.yaml there");
            }
        }
        for (Job job : JOBS) {
            if (!mains.contains(job.main().getName())) {
                problems.add(
                        submitter
                                + " does not submit "
                                + job.main().getName()
                                + ": add a flink run line for it");
            }
        }
        assertNoProblems("Job submission", problems);
    }

    @Test
    void theTaskManagersHaveASlotForEverySubmittedTask() {
        int slots =
                Integer.parseInt(
                        flinkProperties(taskManager())
                                .getOrDefault("taskmanager.numberOfTaskSlots", "1"));
        int replicas = project.service(taskManager()).path("deploy").path("replicas").asInt(1);
        int needed = 0;
        List<String> problems = new ArrayList<>();
        for (Submission submission : submissions()) {
            if (submission.parallelism() <= 0) {
                problems.add(
                        submitter()
                                + " runs "
                                + submission.mainClass()
                                + " without -p <parallelism>: set it, or the client's config.yaml"
                                + " decides");
            }
            needed += Math.max(submission.parallelism(), 1);
        }
        if (slots * replicas < needed) {
            problems.add(
                    taskManager()
                            + " offers "
                            + slots * replicas
                            + " slots, but the submitted jobs need "
                            + needed
                            + " (the sum of their -p): raise taskmanager.numberOfTaskSlots");
        }
        assertNoProblems("Task slots", problems);
    }

    // ---------------------------------------------------------------- metrics

    @Test
    void prometheusScrapesTheFlinkReporterPort() throws Exception {
        Class.forName(REPORTER_FACTORY);
        List<String> targets = new ArrayList<>();
        for (JsonNode job : prometheusConfig().path("scrape_configs")) {
            for (JsonNode staticConfig : job.path("static_configs")) {
                staticConfig.path("targets").forEach(t -> targets.add(t.asText()));
            }
            for (JsonNode dns : job.path("dns_sd_configs")) {
                dns.path("names")
                        .forEach(n -> targets.add(n.asText() + ":" + dns.path("port").asText()));
            }
        }
        List<String> problems = new ArrayList<>();
        for (String flink : List.of(jobManager(), taskManager())) {
            Map<String, String> properties = flinkProperties(flink);
            if (!REPORTER_FACTORY.equals(properties.get("metrics.reporter.prom.factory.class"))) {
                problems.add(
                        flink
                                + " must set metrics.reporter.prom.factory.class: "
                                + REPORTER_FACTORY
                                + " in FLINK_PROPERTIES");
            }
            String port = properties.getOrDefault("metrics.reporter.prom.port", "9249");
            if (!targets.contains(flink + ":" + port)) {
                problems.add(
                        "prometheus.yml does not scrape "
                                + flink
                                + ":"
                                + port
                                + " (the reporter port of "
                                + flink
                                + "), it scrapes "
                                + targets
                                + ": add it to scrape_configs");
            }
        }
        assertNoProblems("Prometheus scraping", problems);
    }

    // ---------------------------------------------------------------- services by role

    private static String submitter() {
        return project.onlyService(
                "job submitter (flink run)", s -> project.script(s).contains("flink run"));
    }

    private static String jobManager() {
        return project.onlyService(
                "Flink JobManager (command: [jobmanager])",
                s -> project.commandLine(s).equals(List.of("jobmanager")));
    }

    private static String taskManager() {
        return project.onlyService(
                "Flink TaskManager (command: [taskmanager])",
                s -> project.commandLine(s).equals(List.of("taskmanager")));
    }

    private static String topicService() {
        return project.onlyService(
                "topic creation (kafka-topics.sh --create)",
                s ->
                        project.script(s).contains("kafka-topics.sh")
                                && project.script(s).contains("--create"));
    }

    private static String bucketService() {
        return project.onlyService(
                "bucket creation (mc mb)", s -> words(project.script(s)).contains("mb"));
    }

    private static String prometheus() {
        return project.onlyService(
                "Prometheus",
                s ->
                        project.mounts(s).stream()
                                .anyMatch(
                                        m -> m.target().equals("/etc/prometheus/prometheus.yml")));
    }

    private static String grafana() {
        return project.onlyService(
                "Grafana",
                s ->
                        project.mounts(s).stream()
                                .anyMatch(
                                        m -> m.target().startsWith("/etc/grafana/provisioning/")));
    }

    // ---------------------------------------------------------------- parsing

    /** One {@code flink run} of the submitter. */
    private record Submission(
            String jobManager,
            String mainClass,
            String jar,
            String config,
            int parallelism,
            boolean detached) {}

    /** A job the submitter may run, with the loader its main() uses for its configuration. */
    private record Job(
            Class<?> main,
            Class<?>[] options,
            BiFunction<String, Map<String, String>, Configuration> loader) {
        String name() {
            return main.getSimpleName();
        }
    }

    private static List<Submission> submissions() {
        List<Submission> submissions = new ArrayList<>();
        Set<String> withValue =
                Set.of(
                        "-m",
                        "--jobmanager",
                        "-c",
                        "--class",
                        "-p",
                        "--parallelism",
                        "-s",
                        "--fromSavepoint",
                        "-t",
                        "--target",
                        "-D",
                        "-e",
                        "--executor");
        for (String line : project.script(submitter()).split("\n")) {
            List<String> words = words(line);
            int run = words.indexOf("run");
            if (run < 1 || !words.get(run - 1).endsWith("flink")) {
                continue;
            }
            Map<String, String> options = new HashMap<>();
            String jar = null;
            int i = run + 1;
            for (; i < words.size(); i++) {
                String word = words.get(i);
                if (!word.startsWith("-")) {
                    jar = word;
                    break;
                }
                options.put(
                        word,
                        withValue.contains(word) && i + 1 < words.size() ? words.get(++i) : "");
            }
            List<String> args = jar == null ? List.of() : words.subList(i + 1, words.size());
            int config = args.indexOf("--config");
            submissions.add(
                    new Submission(
                            options.getOrDefault("-m", options.get("--jobmanager")),
                            options.getOrDefault("-c", options.getOrDefault("--class", "")),
                            jar,
                            config >= 0 && config + 1 < args.size() ? args.get(config + 1) : "",
                            Integer.parseInt(
                                    options.getOrDefault(
                                            "-p", options.getOrDefault("--parallelism", "0"))),
                            options.containsKey("-d") || options.containsKey("--detached")));
        }
        assertThat(submissions)
                .as("%s runs no 'flink run ...': it must submit both jobs", submitter())
                .isNotEmpty();
        return submissions;
    }

    private static Job job(Submission submission) {
        return JOBS.stream()
                .filter(j -> j.main().getName().equals(submission.mainClass()))
                .findFirst()
                .orElseThrow(
                        () ->
                                new AssertionError(
                                        submitter()
                                                + " runs "
                                                + submission.mainClass()
                                                + ", which DockerComposeTest does not know: add it"
                                                + " to JOBS with the loader its main() uses"));
    }

    private static Job job(Class<?> main) {
        return JOBS.stream().filter(j -> j.main() == main).findFirst().orElseThrow();
    }

    private static Path configFile(Submission submission) {
        return project.hostPath(submitter(), submission.config())
                .filter(Files::isRegularFile)
                .orElseThrow(
                        () ->
                                new AssertionError(
                                        submitter()
                                                + " passes --config "
                                                + submission.config()
                                                + ", which none of its volumes mounts from a"
                                                + " repository file: mount"
                                                + " deploy/compose/<job>.yaml there"));
    }

    /** The job's configuration as the submitter's main() sees it: file plus environment. */
    private static Configuration effectiveConfig(Job job) {
        Submission submission =
                submissions().stream()
                        .filter(s -> s.mainClass().equals(job.main().getName()))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                submitter()
                                                        + " does not submit "
                                                        + job.main().getName()
                                                        + ": add a flink run line for it"));
        return PipelineConfig.loader()
                .options(job.options())
                .args("--config", configFile(submission).toString())
                .environment(secretEnvironment())
                .load()
                .configuration();
    }

    /** The PIPELINEKIT_* variables of the submitter, with their values from .env. */
    private static Map<String, String> secretEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        project.environment(submitter())
                .forEach(
                        (k, v) -> {
                            if (k.startsWith(PipelineConfig.ENV_PREFIX)) {
                                env.put(k, v);
                            }
                        });
        return env;
    }

    /** The option keys naming a host, and that host: Kafka, the registry and the databases. */
    private static Map<String, String> endpointServices(Configuration config) {
        Map<String, String> hosts = new LinkedHashMap<>();
        Map<String, String> values = config.toMap();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key.equals(KafkaOptions.BOOTSTRAP_SERVERS.key())) {
                hosts.put(key, value.split(",")[0].strip().split(":")[0]);
            } else if (key.equals(SchemaRegistryOptions.URL.key())) {
                hosts.put(key, URI.create(value.split(",")[0].strip()).getHost());
            } else if (key.endsWith(".url") && value.startsWith("jdbc:")) {
                hosts.put(key, jdbc(value).getHost());
            }
        }
        return hosts;
    }

    private static URI jdbc(String url) {
        return URI.create(url.substring("jdbc:".length()).replaceFirst("\\?.*", ""));
    }

    /** Topic name to the kafka-topics.sh line that creates it. */
    private static Map<String, String> createdTopics() {
        Map<String, String> topics = new LinkedHashMap<>();
        Pattern topic = Pattern.compile("--topic[ =](\\S+)");
        for (String line : project.script(topicService()).split("\n")) {
            Matcher matcher = topic.matcher(line);
            if (line.contains("kafka-topics.sh") && line.contains("--create") && matcher.find()) {
                topics.put(matcher.group(1).replaceAll("[\"']", ""), line);
            }
        }
        return topics;
    }

    private static List<String> bucketTargets() {
        List<String> words = words(project.script(bucketService()));
        List<String> targets = new ArrayList<>();
        for (int i = words.indexOf("mb") + 1;
                i < words.size() && !words.get(i).matches("&&|;|\\|\\|");
                i++) {
            if (!words.get(i).startsWith("-")) {
                targets.add(words.get(i));
            }
        }
        assertThat(targets)
                .as(
                        "%s must create one bucket: mb --ignore-existing <alias>/<bucket>",
                        bucketService())
                .hasSize(1);
        assertThat(targets.get(0))
                .as("%s must name the bucket as <alias>/<bucket>", bucketService())
                .matches("[^/]+/[^/]+");
        return targets;
    }

    private static String createdBucket() {
        return bucketTargets().get(0).split("/")[1];
    }

    private static String createdBucketAlias() {
        return bucketTargets().get(0).split("/")[0];
    }

    /** FLINK_PROPERTIES of a service as the image's entrypoint reads it (whitespace removed). */
    private static Map<String, String> flinkProperties(String service) {
        Map<String, String> properties = new LinkedHashMap<>();
        String text = project.environment(service).getOrDefault("FLINK_PROPERTIES", "");
        for (String line : text.split("\n")) {
            String prop = line.replaceAll("\\s", "");
            int colon = prop.indexOf(':');
            if (colon > 0) {
                properties.put(prop.substring(0, colon), prop.substring(colon + 1));
            }
        }
        return properties;
    }

    private static JsonNode prometheusConfig() {
        String prometheus = prometheus();
        Path file =
                project.hostPath(prometheus, "/etc/prometheus/prometheus.yml")
                        .filter(Files::isRegularFile)
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                prometheus
                                                        + " must mount"
                                                        + " deploy/compose/prometheus/prometheus.yml"
                                                        + " at /etc/prometheus/prometheus.yml"));
        return ComposeProject.readYaml(file);
    }

    /** The provisioning file Grafana reads from {@code folder}. */
    private static JsonNode provisioning(String grafana, String folder) {
        return project.mounts(grafana).stream()
                .filter(m -> m.bind() && m.target().startsWith(folder + "/"))
                .map(m -> project.root().resolve(m.source()).normalize())
                .filter(Files::isRegularFile)
                .map(ComposeProject::readYaml)
                .findFirst()
                .orElseThrow(
                        () ->
                                new AssertionError(
                                        grafana
                                                + " must mount a provisioning file from"
                                                + " deploy/compose/grafana/ into "
                                                + folder
                                                + "/"));
    }

    private static Optional<String> mountTarget(String service, String repositoryPath) {
        Path wanted = project.root().resolve(repositoryPath).normalize();
        return project.mounts(service).stream()
                .filter(
                        m ->
                                m.bind()
                                        && project.root()
                                                .resolve(m.source())
                                                .normalize()
                                                .equals(wanted))
                .map(ComposeProject.Mount::target)
                .findFirst();
    }

    private static boolean isOneShot(String service) {
        JsonNode restart = project.service(service).path("restart");
        return "no".equals(restart.asText()) || restart.isBoolean() && !restart.asBoolean();
    }

    private static boolean hasHealthCheck(String service) {
        JsonNode check = project.service(service).path("healthcheck");
        JsonNode test = check.path("test");
        boolean empty =
                test.isMissingNode()
                        || test.isArray()
                                && (test.isEmpty() || "NONE".equals(test.get(0).asText()));
        return !empty && !check.path("disable").asBoolean(false);
    }

    /** Services {@code service} waits for, directly or through others. */
    private static Set<String> dependencies(String service) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(service));
        while (!todo.isEmpty()) {
            JsonNode dependsOn = project.service(todo.pop()).path("depends_on");
            List<String> next = new ArrayList<>(fields(dependsOn).keySet());
            dependsOn.forEach(
                    n -> {
                        if (n.isTextual()) {
                            next.add(n.asText());
                        }
                    });
            for (String dependency : next) {
                if (seen.add(dependency)) {
                    todo.push(dependency);
                }
            }
        }
        return seen;
    }

    private static Map<String, JsonNode> fields(JsonNode node) {
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
        }
        return fields;
    }

    private static List<ConfigOption<?>> options(Class<?>[] classes) {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Class<?> c : classes) {
            for (Field field : c.getFields()) {
                if (Modifier.isStatic(field.getModifiers())
                        && ConfigOption.class.isAssignableFrom(field.getType())) {
                    try {
                        options.add((ConfigOption<?>) field.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return options;
    }

    /** Why an image reference is not pinned, if it is not. */
    private static Optional<String> pinningProblem(String image) {
        if (image.contains("@sha256:")) {
            return Optional.empty();
        }
        String tag = tag(image);
        if (tag.isEmpty()) {
            return Optional.of("has no tag: pin a version, e.g. " + image + ":<version>");
        }
        if (tag.equals("latest")) {
            return Optional.of("uses latest: pin the version you tested");
        }
        if (!tag.matches(".*\\d+\\.\\d+.*") && !tag.matches("RELEASE\\.\\d{4}-\\d{2}-\\d{2}T.*")) {
            return Optional.of(
                    "has the floating tag "
                            + tag
                            + ": pin a concrete version (major.minor at least)");
        }
        return Optional.empty();
    }

    private static String tag(String image) {
        int colon = image.indexOf(':', image.lastIndexOf('/') + 1);
        return colon < 0 ? "" : image.substring(colon + 1);
    }

    private static String argDefault(String dockerfile, String name) {
        Matcher matcher = Pattern.compile("(?m)^ARG " + name + "=(\\S+)\\s*$").matcher(dockerfile);
        return matcher.find() ? matcher.group(1) : null;
    }

    private static String jobJarInImage(String dockerfile) {
        Matcher matcher =
                Pattern.compile("(?m)^COPY\\s+(?:--\\S+\\s+)*\\$\\{JOB_JAR}\\s+(\\S+)\\s*$")
                        .matcher(dockerfile);
        return matcher.find() ? matcher.group(1) : null;
    }

    private static String rootPom(String xpath) throws Exception {
        Document pom =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(project.root().resolve("pom.xml").toFile());
        String value = XPathFactory.newInstance().newXPath().evaluate(xpath, pom).strip();
        assertThat(value).as("pom.xml has no %s", xpath).isNotEmpty();
        return value;
    }

    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        for (String word : text.strip().split("\\s+")) {
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        return words;
    }

    private static List<String> expand(String ports) {
        if (!ports.contains("-")) {
            return List.of(ports);
        }
        String[] range = ports.split("-");
        List<String> expanded = new ArrayList<>();
        for (int p = Integer.parseInt(range[0]); p <= Integer.parseInt(range[1]); p++) {
            expanded.add(Integer.toString(p));
        }
        return expanded;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> union = new LinkedHashSet<>(a);
        union.addAll(b);
        return union;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static void expect(
            List<String> problems,
            String service,
            Map<String, String> properties,
            String key,
            String expected) {
        if (!Objects.equals(expected, properties.get(key))) {
            problems.add(
                    service
                            + " has "
                            + key
                            + "="
                            + properties.get(key)
                            + " in FLINK_PROPERTIES: set it to "
                            + expected);
        }
    }

    private static void assertNoProblems(String what, List<String> problems) {
        assertThat(problems)
                .withFailMessage(
                        "%s:%n  %s", what, String.join(System.lineSeparator() + "  ", problems))
                .isEmpty();
    }
}
