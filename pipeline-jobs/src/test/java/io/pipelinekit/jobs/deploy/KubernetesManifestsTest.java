package io.pipelinekit.jobs.deploy;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.config.internal.ConfigFiles;
import io.pipelinekit.jobs.deploy.KubernetesManifests.Document;
import io.pipelinekit.jobs.fraud.FraudDetectionJob;
import io.pipelinekit.jobs.inventory.InventorySyncJob;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.fs.s3hadoop.S3FileSystemFactory;
import org.apache.flink.fs.s3hadoop.common.HadoopConfigLoader;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.FlinkVersion;
import org.apache.flink.kubernetes.operator.api.spec.JobSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobState;
import org.apache.flink.kubernetes.operator.api.spec.KubernetesDeploymentMode;
import org.apache.flink.kubernetes.operator.api.spec.Resource;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;
import org.apache.flink.util.TimeUtils;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The manifests in deploy/k8s load into the Flink Kubernetes Operator's and Kubernetes' own classes
 * and deploy both jobs with HA, encrypted S3 state, savepoints, the autoscaler, metrics and
 * credentials from Secrets only, with job config files the jobs' loaders accept.
 */
class KubernetesManifestsTest {

    /** Where deploy/docker/Dockerfile puts the shaded jar. */
    private static final String JAR_IN_IMAGE = "/opt/flink/usrlib/pipeline-jobs.jar";

    private static final Path DOCKERFILE = Paths.get("..", "deploy", "docker", "Dockerfile");
    private static final Path ROOT_POM = Paths.get("..", "pom.xml");
    private static final Path README = KubernetesManifests.DIR.resolve("README.md");

    /** Where the ConfigMap with the job's config file is mounted. */
    private static final String CONFIG_DIR = "/opt/flink/job-config/";

    /**
     * The labels Flink's native Kubernetes integration puts on JobManager pods
     * (org.apache.flink.kubernetes.utils.Constants: LABEL_TYPE_KEY/LABEL_TYPE_NATIVE_TYPE,
     * LABEL_APP_KEY = the cluster id = the FlinkDeployment's name, LABEL_COMPONENT_KEY).
     */
    private static Map<String, String> podLabels(String deployment, String component) {
        return Map.of("type", "flink-native-kubernetes", "app", deployment, "component", component);
    }

    /**
     * Keys of the operator's configuration (KubernetesOperatorConfigOptions of operator 1.10) this
     * test accepts in flinkConfiguration; add one here after checking the operator's docs.
     */
    private static final Set<String> OPERATOR_KEYS =
            Set.of(
                    "kubernetes.operator.periodic.savepoint.interval",
                    "kubernetes.operator.savepoint.history.max.count",
                    "kubernetes.operator.savepoint.history.max.age",
                    "kubernetes.operator.savepoint.format.type",
                    "kubernetes.operator.savepoint.trigger.grace-period",
                    "kubernetes.operator.job.upgrade.last-state-fallback.enabled",
                    "kubernetes.operator.job.upgrade.ignore-pending-savepoint",
                    "kubernetes.operator.job.restart.failed",
                    "kubernetes.operator.deployment.rollback.enabled",
                    "kubernetes.operator.deployment.readiness.timeout",
                    "kubernetes.operator.cluster.health-check.enabled",
                    "kubernetes.operator.jm-deployment-recovery.enabled");

    /**
     * Keys of the operator's autoscaler (AutoScalerOptions of operator 1.10, prefix
     * job.autoscaler.) this test accepts; add one here after checking the operator's docs.
     */
    private static final Set<String> AUTOSCALER_KEYS =
            Set.of(
                    "job.autoscaler.enabled",
                    "job.autoscaler.scaling.enabled",
                    "job.autoscaler.metrics.window",
                    "job.autoscaler.stabilization.interval",
                    "job.autoscaler.excluded.periods",
                    "job.autoscaler.target.utilization",
                    "job.autoscaler.target.utilization.boundary",
                    "job.autoscaler.scale-up.grace-period",
                    "job.autoscaler.vertex.min-parallelism",
                    "job.autoscaler.vertex.max-parallelism",
                    "job.autoscaler.scale-down.max-factor",
                    "job.autoscaler.scale-up.max-factor",
                    "job.autoscaler.catch-up.duration",
                    "job.autoscaler.restart.time",
                    "job.autoscaler.restart.time-tracking.enabled",
                    "job.autoscaler.restart.time-tracking.limit",
                    "job.autoscaler.backlog-processing.lag-threshold",
                    "job.autoscaler.memory.tuning.enabled");

    /**
     * The checkpoint and savepoint directories under the names Flink 1.19 (operator 1.10) reads.
     */
    private static final Map<String, String> OPERATOR_DIRECTORY_KEYS =
            Map.of(
                    "state.checkpoints.dir", CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(),
                    "state.savepoints.dir", CheckpointingOptions.SAVEPOINT_DIRECTORY.key());

    private static final Pattern SECRET_LOOKING_ENV =
            Pattern.compile("PASSWORD|SECRET|TOKEN|KEY", Pattern.CASE_INSENSITIVE);

    private static final String PLACEHOLDER = "REPLACE_ME";

    /** The deployed jobs and how each reads its configuration. */
    enum Job {
        INVENTORY_SYNC(
                InventorySyncJob.NAME,
                InventorySyncJob.class,
                InventorySyncJob.OPTIONS,
                CheckpointPreset.LARGE_STATE) {
            @Override
            Configuration loadWithTheJobsLoader(String[] args) {
                return InventorySyncJob.loadConfig(args);
            }
        },
        FRAUD_DETECTION(
                FraudDetectionJob.NAME, FraudDetectionJob.class, FraudDetectionJob.OPTIONS, null) {
            @Override
            Configuration loadWithTheJobsLoader(String[] args) {
                return FraudDetectionJob.loadConfig(args);
            }
        };

        final String deploymentName;
        final Class<?> mainClass;
        final Class<?>[] optionClasses;

        /** The preset the job applies when checkpoint.preset is not set (null: the default's). */
        final CheckpointPreset presetWhenUnset;

        Job(
                String deploymentName,
                Class<?> mainClass,
                Class<?>[] optionClasses,
                CheckpointPreset presetWhenUnset) {
            this.deploymentName = deploymentName;
            this.mainClass = mainClass;
            this.optionClasses = optionClasses;
            this.presetWhenUnset = presetWhenUnset;
        }

        abstract Configuration loadWithTheJobsLoader(String[] args);

        String configPath() {
            return CONFIG_DIR + deploymentName + ".yaml";
        }

        /** The job's options by key. */
        Map<String, ConfigOption<?>> options() {
            Map<String, ConfigOption<?>> options = new TreeMap<>();
            for (Class<?> c : optionClasses) {
                options.putAll(configOptions(c));
            }
            return options;
        }

        /** What the job applies to its environment from its checkpoint options. */
        Configuration checkpointSettings(Configuration jobConfig) {
            Configuration effective = new Configuration(jobConfig);
            if (presetWhenUnset != null && !jobConfig.contains(CheckpointOptions.PRESET)) {
                effective.set(CheckpointOptions.PRESET, presetWhenUnset);
            }
            return CheckpointSettings.fromConfig(effective).toConfiguration();
        }
    }

    @TempDir Path tmp;

    // ---------------------------------------------------------------- all documents

    @Test
    void everyDocumentIsAKnownKindThatDeserializesStrictly() {
        List<Document> documents = KubernetesManifests.documents();
        assertThat(documents)
                .as("YAML documents in %s", KubernetesManifests.DIR.toAbsolutePath())
                .isNotEmpty();
        Set<String> names = new TreeSet<>();
        for (Document d : documents) {
            switch (d.kind()) {
                case "FlinkDeployment":
                    checkApiVersion(d, HasMetadata.getApiVersion(FlinkDeployment.class));
                    d.as(FlinkDeployment.class);
                    break;
                case "ConfigMap":
                    checkApiVersion(d, "v1");
                    d.as(ConfigMap.class);
                    break;
                case "Secret":
                    checkApiVersion(d, "v1");
                    d.as(Secret.class);
                    break;
                case "PodDisruptionBudget":
                    checkApiVersion(d, "policy/v1");
                    d.as(PodDisruptionBudget.class);
                    break;
                case "Kustomization":
                    assertThat(d.fileName())
                            .as(
                                    "%s: the Kustomization belongs in %s",
                                    d.where(), KubernetesManifests.KUSTOMIZATION)
                            .isEqualTo(KubernetesManifests.KUSTOMIZATION);
                    continue;
                default:
                    fail(
                            "%s has kind '%s', which this test does not check: deserialize and"
                                    + " check it in KubernetesManifestsTest, or remove it",
                            d.where(), d.kind());
            }
            assertThat(d.name())
                    .as("%s has no metadata.name: name every resource", d.where())
                    .isNotBlank();
            assertThat(names.add(d.kind() + "/" + d.name()))
                    .as(
                            "%s: a second %s named '%s'; names must be unique per kind",
                            d.where(), d.kind(), d.name())
                    .isTrue();
        }
    }

    /**
     * Labels, annotations, flinkConfiguration, ConfigMap/Secret data, env values and args are
     * strings in Kubernetes; an unquoted true or 2 there is rejected by the API server.
     */
    @Test
    void stringFieldsHoldStrings() {
        Set<String> stringMaps =
                Set.of(
                        "labels",
                        "annotations",
                        "matchLabels",
                        "flinkConfiguration",
                        "logConfiguration",
                        "data",
                        "stringData");
        for (Document d : KubernetesManifests.documents()) {
            if (d.kind().equals("Kustomization")) {
                continue;
            }
            List<String> problems = new ArrayList<>();
            walk(d.tree(), "", stringMaps, problems);
            for (String problem : problems) {
                fail(
                        "%s: %s is not a string; quote it (e.g. \"true\", \"2\"), Kubernetes"
                                + " rejects other types there",
                        d.where(), problem);
            }
        }
    }

    private static void walk(JsonNode node, String path, Set<String> stringMaps, List<String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String here = path + "." + field.getKey();
                JsonNode value = field.getValue();
                if (stringMaps.contains(field.getKey()) && value.isObject()) {
                    value.fields()
                            .forEachRemaining(
                                    e -> {
                                        if (!e.getValue().isTextual()) {
                                            out.add(here + "." + e.getKey());
                                        }
                                    });
                } else if (field.getKey().equals("args") && value.isArray()) {
                    for (int i = 0; i < value.size(); i++) {
                        if (!value.get(i).isTextual()) {
                            out.add(here + "[" + i + "]");
                        }
                    }
                } else if (field.getKey().equals("env") && value.isArray()) {
                    for (JsonNode env : value) {
                        if (env.has("value") && !env.get("value").isTextual()) {
                            out.add(here + "[" + env.path("name").asText() + "].value");
                        }
                    }
                } else {
                    walk(value, here, stringMaps, out);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", stringMaps, out);
            }
        }
    }

    @Test
    void eachJobHasOneFlinkDeployment() {
        Map<String, Long> byName =
                KubernetesManifests.flinkDeployments().stream()
                        .collect(
                                Collectors.groupingBy(
                                        d -> d.getMetadata().getName(),
                                        TreeMap::new,
                                        Collectors.counting()));
        Map<String, Long> expected = new TreeMap<>();
        for (Job job : Job.values()) {
            expected.put(job.deploymentName, 1L);
        }
        assertThat(byName)
                .as(
                        "FlinkDeployments by name in %s: one per job, named after it (metadata.name"
                                + " is the cluster id the PodDisruptionBudgets select)",
                        KubernetesManifests.DIR)
                .isEqualTo(expected);
    }

    // ---------------------------------------------------------------- each FlinkDeployment

    @ParameterizedTest
    @EnumSource(Job.class)
    void deploymentRunsTheJobJarFromTheImage(Job job) throws Exception {
        FlinkDeploymentSpec spec = deployment(job).getSpec();
        String where = job.deploymentName;
        assertThat(spec.getImage())
                .as("%s: spec.image is not set; set the image built from %s", where, DOCKERFILE)
                .isNotBlank();
        assertThat(spec.getServiceAccount())
                .as(
                        "%s: spec.serviceAccount is not set; the operator needs one with HA rights"
                                + " (flink)",
                        where)
                .isNotBlank();
        assertThat(spec.getFlinkVersion())
                .as(
                        "%s: spec.flinkVersion must match flink.version %s in %s; change the one"
                                + " that is wrong",
                        where, rootFlinkVersion(), ROOT_POM)
                .isEqualTo(expectedFlinkVersion());
        assertThat(spec.getMode())
                .as(
                        "%s: spec.mode must be native (the default): the PodDisruptionBudgets"
                                + " select the labels of native-mode pods",
                        where)
                .isIn(null, KubernetesDeploymentMode.NATIVE);

        JobSpec jobSpec = spec.getJob();
        assertThat(jobSpec)
                .as(
                        "%s: spec.job is missing; without it the operator starts a session cluster",
                        where)
                .isNotNull();
        assertThat(jobSpec.getJarURI())
                .as(
                        "%s: spec.job.jarURI must be the jar the image holds, local://%s (see %s)",
                        where, JAR_IN_IMAGE, DOCKERFILE)
                .isEqualTo("local://" + JAR_IN_IMAGE);
        assertThat(Files.readString(DOCKERFILE, StandardCharsets.UTF_8))
                .as(
                        "%s no longer copies the job jar to %s; update spec.job.jarURI in the"
                                + " FlinkDeployments and JAR_IN_IMAGE in this test together",
                        DOCKERFILE, JAR_IN_IMAGE)
                .containsPattern("(?m)^COPY .* " + Pattern.quote(JAR_IN_IMAGE) + "\\s*$");
        assertThat(jobSpec.getEntryClass())
                .as("%s: spec.job.entryClass must be the job's main class", where)
                .isEqualTo(job.mainClass.getName());
        Method main = Class.forName(jobSpec.getEntryClass()).getMethod("main", String[].class);
        assertThat(Modifier.isStatic(main.getModifiers()))
                .as("%s: %s has no static main(String[])", where, jobSpec.getEntryClass())
                .isTrue();
        assertThat(jobSpec.getArgs())
                .as(
                        "%s: spec.job.args must pass the mounted config file: --config %s",
                        where, job.configPath())
                .containsExactly("--config", job.configPath());
        assertThat(jobSpec.getParallelism())
                .as("%s: spec.job.parallelism must be at least 1", where)
                .isGreaterThanOrEqualTo(1);
        assertThat(jobSpec.getState())
                .as("%s: spec.job.state must be running for a new deployment", where)
                .isEqualTo(JobState.RUNNING);
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void upgradesKeepTheState(Job job) {
        JobSpec jobSpec = deployment(job).getSpec().getJob();
        assertThat(jobSpec.getUpgradeMode())
                .as(
                        "%s: spec.job.upgradeMode must be last-state or savepoint; stateless would"
                                + " drop the job's state (and the CDC position) on every upgrade",
                        job.deploymentName)
                .isIn(UpgradeMode.LAST_STATE, UpgradeMode.SAVEPOINT);
        assertThat(jobSpec.getAllowNonRestoredState())
                .as(
                        "%s: spec.job.allowNonRestoredState must not be true: an upgrade must not"
                                + " silently drop the state of a removed operator",
                        job.deploymentName)
                .isNotEqualTo(Boolean.TRUE);
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void jobManagersAreHighlyAvailable(Job job) {
        FlinkDeployment deployment = deployment(job);
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment);
        assertThat(conf.get(HighAvailabilityOptions.HA_MODE.key()))
                .as(
                        "%s: flinkConfiguration %s must be kubernetes (required by last-state"
                                + " upgrades and standby JobManagers)",
                        job.deploymentName, HighAvailabilityOptions.HA_MODE.key())
                .isEqualTo("kubernetes");
        assertThat(conf.get(HighAvailabilityOptions.HA_STORAGE_PATH.key()))
                .as(
                        "%s: flinkConfiguration %s must be an s3:// path (HA metadata must outlive"
                                + " the pods)",
                        job.deploymentName, HighAvailabilityOptions.HA_STORAGE_PATH.key())
                .startsWith("s3://");
        assertThat(deployment.getSpec().getJobManager())
                .as("%s: spec.jobManager is missing", job.deploymentName)
                .isNotNull();
        assertThat(deployment.getSpec().getJobManager().getReplicas())
                .as(
                        "%s: spec.jobManager.replicas must be at least 2 (a standby)",
                        job.deploymentName)
                .isGreaterThanOrEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void theOperatorTakesPeriodicSavepoints(Job job) {
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment(job));
        String interval = conf.get("kubernetes.operator.periodic.savepoint.interval");
        assertThat(interval)
                .as(
                        "%s: set kubernetes.operator.periodic.savepoint.interval (e.g. 6h)",
                        job.deploymentName)
                .isNotBlank();
        assertThat(TimeUtils.parseDuration(interval))
                .as(
                        "%s: kubernetes.operator.periodic.savepoint.interval must be above 0",
                        job.deploymentName)
                .isPositive();
        String maxCount = conf.get("kubernetes.operator.savepoint.history.max.count");
        assertThat(maxCount)
                .as(
                        "%s: set kubernetes.operator.savepoint.history.max.count (how many"
                                + " savepoints the operator keeps)",
                        job.deploymentName)
                .isNotBlank();
        assertThat(Integer.parseInt(maxCount))
                .as(
                        "%s: kubernetes.operator.savepoint.history.max.count must be at least 1",
                        job.deploymentName)
                .isPositive();
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void stateIsRocksDbCheckpointedToS3(Job job) throws IOException {
        FlinkDeployment deployment = deployment(job);
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment);
        String where = job.deploymentName;
        for (ConfigOption<String> dir :
                List.of(
                        CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                        CheckpointingOptions.SAVEPOINT_DIRECTORY)) {
            assertThat(conf.get(dir.key()))
                    .as("%s: flinkConfiguration %s must be an s3:// path", where, dir.key())
                    .startsWith("s3://");
        }
        OPERATOR_DIRECTORY_KEYS.forEach(
                (legacy, current) ->
                        assertThat(conf.get(legacy))
                                .as(
                                        "%s: flinkConfiguration %s must equal %s: operator 1.10"
                                                + " runs on Flink 1.19 and validates and triggers"
                                                + " savepoints with the old name",
                                        where, legacy, current)
                                .isEqualTo(conf.get(current)));
        assertThat(conf.get(StateBackendOptions.STATE_BACKEND.key()))
                .as(
                        "%s: flinkConfiguration %s must be rocksdb",
                        where, StateBackendOptions.STATE_BACKEND.key())
                .isEqualTo("rocksdb");
        assertThat(conf.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS.key()))
                .as(
                        "%s: flinkConfiguration %s must be \"true\"",
                        where, CheckpointingOptions.INCREMENTAL_CHECKPOINTS.key())
                .isEqualTo("true");

        // The job configures its own environment from its checkpoint options, which wins over the
        // cluster's configuration: it has to come out the same.
        Configuration applied = job.checkpointSettings(jobConfig(job, deployment).fromJobsLoader);
        assertThat(applied.get(StateBackendOptions.STATE_BACKEND))
                .as(
                        "%s: the job's checkpoint.preset gives state backend '%s', not rocksdb: set"
                                + " checkpoint.preset: LARGE_STATE in its config file"
                                + " (job-config.yaml)",
                        where, applied.get(StateBackendOptions.STATE_BACKEND))
                .isEqualTo("rocksdb");
        assertThat(applied.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS))
                .as(
                        "%s: the job's checkpoint.preset does not checkpoint incrementally: use"
                                + " LARGE_STATE",
                        where)
                .isTrue();
        assertThat(normalize(applied.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)))
                .as(
                        "%s: checkpoint.storage in the job's config file must equal"
                                + " flinkConfiguration %s (the job's value wins at runtime; the"
                                + " operator reads the other)",
                        where, CheckpointingOptions.CHECKPOINTS_DIRECTORY.key())
                .isEqualTo(normalize(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key())));
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void checkpointsAndSavepointsAreEncryptedAtRest(Job job) throws Exception {
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment(job));
        // The Hadoop configuration flink-s3-fs-hadoop derives from the Flink configuration.
        Method create = S3FileSystemFactory.class.getDeclaredMethod("createHadoopConfigLoader");
        create.setAccessible(true);
        HadoopConfigLoader loader = (HadoopConfigLoader) create.invoke(null);
        loader.setFlinkConfig(Configuration.fromMap(conf));
        org.apache.hadoop.conf.Configuration hadoop = loader.getOrLoadHadoopConfig();

        String algorithm =
                hadoop.getTrimmed(
                        org.apache.hadoop.fs.s3a.Constants.S3_ENCRYPTION_ALGORITHM,
                        hadoop.getTrimmed(
                                org.apache.hadoop.fs.s3a.Constants.SERVER_SIDE_ENCRYPTION_ALGORITHM,
                                ""));
        assertThat(algorithm)
                .as(
                        "%s: S3 objects are not encrypted server-side: set flinkConfiguration %s to"
                                + " SSE-KMS (with %s) or AES256",
                        job.deploymentName,
                        org.apache.hadoop.fs.s3a.Constants.S3_ENCRYPTION_ALGORITHM,
                        org.apache.hadoop.fs.s3a.Constants.S3_ENCRYPTION_KEY)
                .isIn("SSE-KMS", "AES256");
        String key = hadoop.getTrimmed(org.apache.hadoop.fs.s3a.Constants.S3_ENCRYPTION_KEY, "");
        if (algorithm.equals("SSE-KMS") && !key.isEmpty()) {
            assertThat(key)
                    .as(
                            "%s: %s must be a KMS key ARN, alias or id (empty: the account's aws/s3"
                                    + " key)",
                            job.deploymentName,
                            org.apache.hadoop.fs.s3a.Constants.S3_ENCRYPTION_KEY)
                    .matches("arn:aws[a-z-]*:kms:.+|alias/.+|[0-9a-fA-F-]{36}");
        }
        for (String provider :
                hadoop.getTrimmedStrings(
                        org.apache.hadoop.fs.s3a.Constants.AWS_CREDENTIALS_PROVIDER)) {
            try {
                Class.forName(provider);
            } catch (ClassNotFoundException e) {
                fail(
                        "%s: %s names %s, which flink-s3-fs-hadoop does not contain; fix the class"
                                + " name",
                        job.deploymentName,
                        org.apache.hadoop.fs.s3a.Constants.AWS_CREDENTIALS_PROVIDER,
                        provider);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void theAutoscalerIsOnWithinTheJobsBounds(Job job) throws IOException {
        FlinkDeployment deployment = deployment(job);
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment);
        String where = job.deploymentName;
        assertThat(conf.get("job.autoscaler.enabled"))
                .as("%s: set flinkConfiguration job.autoscaler.enabled: \"true\"", where)
                .isEqualTo("true");
        double target =
                Double.parseDouble(required(conf, "job.autoscaler.target.utilization", where));
        assertThat(target)
                .as("%s: job.autoscaler.target.utilization must be in (0, 1]", where)
                .isGreaterThan(0.0)
                .isLessThanOrEqualTo(1.0);
        if (conf.containsKey("job.autoscaler.target.utilization.boundary")) {
            assertThat(Double.parseDouble(conf.get("job.autoscaler.target.utilization.boundary")))
                    .as(
                            "%s: job.autoscaler.target.utilization.boundary must be in [0, target)",
                            where)
                    .isGreaterThanOrEqualTo(0.0)
                    .isLessThan(target);
        }
        for (String window :
                List.of("job.autoscaler.metrics.window", "job.autoscaler.stabilization.interval")) {
            assertThat(TimeUtils.parseDuration(required(conf, window, where)))
                    .as("%s: %s must be a positive duration", where, window)
                    .isPositive();
        }
        int min = Integer.parseInt(conf.getOrDefault("job.autoscaler.vertex.min-parallelism", "1"));
        int max = Integer.parseInt(required(conf, "job.autoscaler.vertex.max-parallelism", where));
        int jobMax =
                jobConfig(job, deployment).fromJobsLoader.get(CheckpointOptions.MAX_PARALLELISM);
        assertThat(max)
                .as(
                        "%s: job.autoscaler.vertex.max-parallelism must be between"
                            + " vertex.min-parallelism (%s) and the job's max parallelism (%s ="
                            + " %s): the autoscaler cannot go beyond the key groups of the state",
                        where, min, CheckpointOptions.MAX_PARALLELISM.key(), jobMax)
                .isBetween(min, jobMax);
        if (conf.containsKey(PipelineOptions.MAX_PARALLELISM.key())) {
            assertThat(Integer.parseInt(conf.get(PipelineOptions.MAX_PARALLELISM.key())))
                    .as(
                            "%s: flinkConfiguration %s must equal the job's %s",
                            where,
                            PipelineOptions.MAX_PARALLELISM.key(),
                            CheckpointOptions.MAX_PARALLELISM.key())
                    .isEqualTo(jobMax);
        }
        assertThat(deployment.getSpec().getJob().getParallelism())
                .as("%s: spec.job.parallelism must be within the autoscaler's bounds", where)
                .isBetween(min, max);
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void resourcesAreRequested(Job job) {
        FlinkDeployment deployment = deployment(job);
        String where = job.deploymentName;
        checkResource(
                where + ": spec.jobManager.resource",
                deployment.getSpec().getJobManager().getResource());
        assertThat(deployment.getSpec().getTaskManager())
                .as("%s: spec.taskManager is missing", where)
                .isNotNull();
        checkResource(
                where + ": spec.taskManager.resource",
                deployment.getSpec().getTaskManager().getResource());
        String slots =
                required(
                        KubernetesManifests.flinkConfiguration(deployment),
                        TaskManagerOptions.NUM_TASK_SLOTS.key(),
                        where);
        assertThat(Integer.parseInt(slots))
                .as("%s: %s must be at least 1", where, TaskManagerOptions.NUM_TASK_SLOTS.key())
                .isPositive();
    }

    private static void checkResource(String what, Resource resource) {
        assertThat(resource).as("%s is missing: set memory and cpu", what).isNotNull();
        assertThat(resource.getMemory()).as("%s.memory is not set", what).isNotBlank();
        assertThat(MemorySize.parse(resource.getMemory()).getBytes())
                .as("%s.memory must be above 0", what)
                .isPositive();
        assertThat(resource.getCpu()).as("%s.cpu is not set", what).isNotNull();
        assertThat(resource.getCpu()).as("%s.cpu must be above 0", what).isPositive();
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void prometheusCanScrapeEveryPod(Job job) throws Exception {
        FlinkDeployment deployment = deployment(job);
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment);
        String where = job.deploymentName;
        String factoryKey = "metrics.reporter.prom.factory.class";
        assertThat(conf.get(factoryKey))
                .as(
                        "%s: set flinkConfiguration %s to Flink's Prometheus reporter",
                        where, factoryKey)
                .isEqualTo(PrometheusReporterFactory.class.getName());
        Class.forName(conf.get(factoryKey));
        String port = required(conf, "metrics.reporter.prom.port", where);
        assertThat(port)
                .as(
                        "%s: metrics.reporter.prom.port must be one port (one Flink process per"
                                + " pod)",
                        where)
                .matches("\\d+");

        PodTemplateSpec template = deployment.getSpec().getPodTemplate();
        assertThat(template)
                .as("%s: spec.podTemplate is missing (metrics port, config file, secrets)", where)
                .isNotNull();
        Map<String, String> annotations =
                template.getMetadata() == null || template.getMetadata().getAnnotations() == null
                        ? Map.of()
                        : template.getMetadata().getAnnotations();
        boolean annotated = "true".equals(annotations.get("prometheus.io/scrape"));
        if (annotated) {
            assertThat(annotations.get("prometheus.io/port"))
                    .as("%s: pod annotation prometheus.io/port must be the reporter's port", where)
                    .isEqualTo(port);
        }
        List<Integer> ports =
                KubernetesManifests.mainContainers(List.of(template)).stream()
                        .flatMap(c -> c.getPorts().stream())
                        .map(ContainerPort::getContainerPort)
                        .collect(Collectors.toList());
        assertThat(annotated || ports.contains(Integer.parseInt(port)))
                .as(
                        "%s: nothing tells Prometheus where to scrape: add the pod annotations"
                            + " prometheus.io/scrape and prometheus.io/port, or container port %s"
                            + " on %s",
                        where, port, KubernetesManifests.MAIN_CONTAINER)
                .isTrue();
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void restartsAreLimitedLikeTheJobLimitsThem(Job job) throws IOException {
        FlinkDeployment deployment = deployment(job);
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment);
        String where = job.deploymentName;
        String type = required(conf, RestartStrategyOptions.RESTART_STRATEGY.key(), where);
        Map<String, String> limitKey =
                Map.of(
                        "exponential-delay",
                        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS.key(),
                        "fixed-delay",
                        RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS.key(),
                        "failure-rate",
                        RestartStrategyOptions
                                .RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL
                                .key());
        assertThat(limitKey)
                .as(
                        "%s: restart-strategy.type '%s' does not limit restarts; use one of",
                        where, type)
                .containsKey(type);
        String limit = required(conf, limitKey.get(type), where);
        assertThat(Integer.parseInt(limit))
                .as("%s: %s must be at least 1", where, limitKey.get(type))
                .isPositive();

        Configuration applied = job.checkpointSettings(jobConfig(job, deployment).fromJobsLoader);
        assertThat(type)
                .as(
                        "%s: the job sets restart-strategy.type %s itself (checkpoint preset),"
                                + " which wins; make the manifest say the same",
                        where, applied.get(RestartStrategyOptions.RESTART_STRATEGY))
                .isEqualTo(applied.get(RestartStrategyOptions.RESTART_STRATEGY));
        if (type.equals("exponential-delay")) {
            assertThat(Integer.parseInt(limit))
                    .as(
                            "%s: the job allows %s restarts in a row itself (checkpoint preset);"
                                    + " make %s say the same",
                            where,
                            applied.get(
                                    RestartStrategyOptions
                                            .RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS),
                            limitKey.get(type))
                    .isEqualTo(
                            applied.get(
                                    RestartStrategyOptions
                                            .RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS));
        }
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void everyFlinkConfigurationKeyExists(Job job) throws Exception {
        Map<String, String> conf = KubernetesManifests.flinkConfiguration(deployment(job));
        Set<String> flinkKeys = new TreeSet<>();
        for (Class<?> c :
                List.of(
                        CheckpointingOptions.class,
                        StateBackendOptions.class,
                        StateRecoveryOptions.class,
                        HighAvailabilityOptions.class,
                        RestartStrategyOptions.class,
                        TaskManagerOptions.class,
                        JobManagerOptions.class,
                        PipelineOptions.class,
                        CoreOptions.class,
                        MetricOptions.class)) {
            for (ConfigOption<?> option : configOptions(c).values()) {
                flinkKeys.add(option.key());
                for (FallbackKey fallback : option.fallbackKeys()) {
                    flinkKeys.add(fallback.getKey());
                }
            }
        }
        Set<String> s3aKeys = new TreeSet<>();
        for (Field f : org.apache.hadoop.fs.s3a.Constants.class.getFields()) {
            if (f.getType() == String.class && Modifier.isStatic(f.getModifiers())) {
                String value = (String) f.get(null);
                if (value.startsWith("fs.s3a.")) {
                    s3aKeys.add(value);
                }
            }
        }
        Pattern reporter =
                Pattern.compile(
                        "metrics\\.reporter\\.([^.]+)\\.(factory\\.class|port|interval|filter\\.includes"
                            + "|filter\\.excludes|scope\\.variables\\.excludes"
                            + "|scope\\.variables\\.additional)");
        for (String key : conf.keySet()) {
            boolean known;
            String source;
            if (key.startsWith("kubernetes.operator.")) {
                known = OPERATOR_KEYS.contains(key);
                source = "the operator 1.10 options accepted by this test (OPERATOR_KEYS)";
            } else if (key.startsWith("job.autoscaler.")) {
                known = AUTOSCALER_KEYS.contains(key);
                source = "the autoscaler 1.10 options accepted by this test (AUTOSCALER_KEYS)";
            } else if (key.startsWith("fs.s3a.")) {
                known = s3aKeys.contains(key);
                source = "Hadoop S3A's Constants in flink-s3-fs-hadoop";
            } else if (key.startsWith("metrics.reporter.")) {
                Matcher m = reporter.matcher(key);
                known =
                        m.matches()
                                && conf.containsKey(
                                        "metrics.reporter." + m.group(1) + ".factory.class");
                source = "metrics.reporter.<name>.<setting> with a factory.class for <name>";
            } else {
                known = flinkKeys.contains(key);
                source = "the options of Flink " + rootFlinkVersion();
            }
            assertThat(known)
                    .as(
                            "%s: flinkConfiguration key '%s' is not among %s; fix its spelling (or"
                                    + " extend the list after checking the docs)",
                            job.deploymentName, key, source)
                    .isTrue();
        }
    }

    // ---------------------------------------------------------------- job config and secrets

    @ParameterizedTest
    @EnumSource(Job.class)
    void theMountedConfigFileLoadsThroughTheJobsLoader(Job job) throws IOException {
        FlinkDeployment deployment = deployment(job);
        JobConfig config = jobConfig(job, deployment);
        // Every option is a real one of the job and the required ones are in the file (the job's
        // own
        // loader refuses anything else); the PIPELINEKIT_* variables of the manifest are options
        // of the job too, with values of the right type, and reach the configuration.
        Map<String, String> loaded = config.withEnvironment.toMap();
        config.environment.forEach(
                (variable, value) ->
                        assertThat(loaded.get(config.variableToKey.get(variable)))
                                .as(
                                        "%s: %s from the manifest does not reach option %s",
                                        job.deploymentName,
                                        variable,
                                        config.variableToKey.get(variable))
                                .isEqualTo(value));
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void credentialsComeOnlyFromSecrets(Job job) throws IOException {
        FlinkDeployment deployment = deployment(job);
        String where = job.deploymentName;
        Map<String, String> variableToKey = variableToKey(job);
        for (Container container :
                KubernetesManifests.containers(KubernetesManifests.allTemplates(deployment))) {
            assertThat(container.getEnvFrom())
                    .as(
                            "%s: container %s uses envFrom, which hides what it sets; list the"
                                    + " variables under env with secretKeyRef",
                            where, container.getName())
                    .isEmpty();
            for (EnvVar env : container.getEnv()) {
                String key = variableToKey.get(env.getName());
                boolean credential =
                        SECRET_LOOKING_ENV.matcher(env.getName()).find()
                                || (key != null && isCredential(key));
                if (!credential) {
                    continue;
                }
                assertThat(env.getValue())
                        .as(
                                "%s: %s is set inline in container %s; take it from a Secret"
                                        + " (valueFrom.secretKeyRef, secrets.example.yaml)",
                                where, env.getName(), container.getName())
                        .isNull();
                assertThat(env.getValueFrom() == null ? null : env.getValueFrom().getSecretKeyRef())
                        .as(
                                "%s: %s in container %s must come from valueFrom.secretKeyRef",
                                where, env.getName(), container.getName())
                        .isNotNull();
            }
        }
        for (Map.Entry<String, String> e : jobConfig(job, deployment).file.entrySet()) {
            assertThat(
                            isCredential(e.getKey())
                                    && !e.getValue().startsWith(PipelineConfig.FILE_PREFIX))
                    .as(
                            "%s: the job's config file sets credential %s inline; remove it and map"
                                    + " %s from a Secret with secretKeyRef",
                            where, e.getKey(), PipelineConfig.environmentVariable(e.getKey()))
                    .isFalse();
        }
        for (String key : KubernetesManifests.flinkConfiguration(deployment).keySet()) {
            assertThat(
                            PipelineConfig.isSecret(key)
                                    || key.toLowerCase(Locale.ROOT).matches(".*access[.-]key.*"))
                    .as(
                            "%s: flinkConfiguration sets credential %s inline; use IRSA or the"
                                    + " AWS_* variables from the pipelinekit-s3 Secret",
                            where, key)
                    .isFalse();
        }
    }

    @Test
    void everySecretReferenceIsDocumented() throws IOException {
        Map<String, Set<String>> documented = new TreeMap<>();
        for (Document d : KubernetesManifests.ofKind("Secret")) {
            Secret secret = d.as(Secret.class);
            Set<String> keys =
                    documented.computeIfAbsent(
                            secret.getMetadata().getName(), n -> new TreeSet<>());
            if (secret.getStringData() != null) {
                keys.addAll(secret.getStringData().keySet());
            }
            if (secret.getData() != null) {
                keys.addAll(secret.getData().keySet());
            }
        }
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Set<String> referenced = new TreeSet<>();
        for (FlinkDeployment deployment : KubernetesManifests.flinkDeployments()) {
            for (Container container :
                    KubernetesManifests.containers(KubernetesManifests.allTemplates(deployment))) {
                for (EnvVar env : container.getEnv()) {
                    SecretKeySelector ref =
                            env.getValueFrom() == null
                                    ? null
                                    : env.getValueFrom().getSecretKeyRef();
                    if (ref == null) {
                        continue;
                    }
                    assertThat(documented.getOrDefault(ref.getName(), Set.of()))
                            .as(
                                    "%s: %s reads key '%s' of Secret '%s', which %s does not list;"
                                            + " add it there (with value %s)",
                                    deployment.getMetadata().getName(),
                                    env.getName(),
                                    ref.getKey(),
                                    ref.getName(),
                                    KubernetesManifests.SECRETS_TEMPLATE,
                                    PLACEHOLDER)
                            .contains(ref.getKey());
                    referenced.add(ref.getName());
                }
            }
        }
        for (String secret : referenced) {
            assertThat(
                            Pattern.compile(
                                            "create secret generic\\s+"
                                                    + Pattern.quote(secret)
                                                    + "\\b")
                                    .matcher(readme)
                                    .find())
                    .as(
                            "%s does not say how to create Secret %s; add its `kubectl create"
                                    + " secret generic %s` command",
                            README, secret, secret)
                    .isTrue();
        }
    }

    @Test
    void secretTemplatesHoldOnlyPlaceholdersAndAreNeverApplied() throws IOException {
        for (Document d : KubernetesManifests.ofKind("Secret")) {
            assertThat(d.fileName())
                    .as(
                            "%s: Secrets belong only in %s (templates); create real ones with"
                                    + " kubectl or a secret manager",
                            d.where(), KubernetesManifests.SECRETS_TEMPLATE)
                    .isEqualTo(KubernetesManifests.SECRETS_TEMPLATE);
            Secret secret = d.as(Secret.class);
            assertThat(secret.getData())
                    .as("%s: use stringData with %s placeholders, not data", d.where(), PLACEHOLDER)
                    .isNullOrEmpty();
            secret.getStringData()
                    .forEach(
                            (key, value) ->
                                    assertThat(value)
                                            .as(
                                                    "%s: key %s holds a value that is not a"
                                                            + " placeholder; never commit a secret,"
                                                            + " write %s",
                                                    d.where(), key, PLACEHOLDER)
                                            .isEqualTo(PLACEHOLDER));
        }
        List<Document> kustomizations = KubernetesManifests.ofKind("Kustomization");
        assertThat(kustomizations)
                .as(
                        "%s must hold one Kustomization (what `kubectl apply -k` applies)",
                        KubernetesManifests.KUSTOMIZATION)
                .hasSize(1);
        List<String> resources = new ArrayList<>();
        kustomizations.get(0).tree().path("resources").forEach(r -> resources.add(r.asText()));
        Set<String> expected = new TreeSet<>();
        for (Path file : KubernetesManifests.files()) {
            String name = file.getFileName().toString();
            if (!name.equals(KubernetesManifests.KUSTOMIZATION)
                    && !name.equals(KubernetesManifests.SECRETS_TEMPLATE)) {
                expected.add(name);
            }
        }
        assertThat(new TreeSet<>(resources))
                .as(
                        "resources of %s: every manifest in %s except %s (a template that must"
                                + " never be applied)",
                        KubernetesManifests.KUSTOMIZATION,
                        KubernetesManifests.DIR,
                        KubernetesManifests.SECRETS_TEMPLATE)
                .isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Job.class)
    void aPodDisruptionBudgetKeepsOneJobManagerUp(Job job) {
        String name = deployment(job).getMetadata().getName();
        Map<String, String> jobManager = podLabels(name, "jobmanager");
        List<PodDisruptionBudget> selecting = new ArrayList<>();
        for (PodDisruptionBudget pdb : KubernetesManifests.podDisruptionBudgets()) {
            assertThat(pdb.getSpec().getSelector().getMatchExpressions())
                    .as(
                            "PodDisruptionBudget %s: select with matchLabels only (type, app,"
                                    + " component), so this test can check them",
                            pdb.getMetadata().getName())
                    .isNullOrEmpty();
            Map<String, String> selector = pdb.getSpec().getSelector().getMatchLabels();
            if (selector != null
                    && !selector.isEmpty()
                    && jobManager.entrySet().containsAll(selector.entrySet())) {
                selecting.add(pdb);
            }
        }
        assertThat(selecting)
                .as(
                        "PodDisruptionBudgets whose matchLabels select the JobManager pods of %s"
                                + " (labels %s): need exactly one",
                        name, jobManager)
                .hasSize(1);
        PodDisruptionBudget pdb = selecting.get(0);
        Map<String, String> selector = pdb.getSpec().getSelector().getMatchLabels();
        assertThat(selector)
                .as(
                        "PodDisruptionBudget %s must select app: %s and component: jobmanager, so"
                                + " it covers neither TaskManagers nor another job",
                        pdb.getMetadata().getName(), name)
                .containsEntry("app", name)
                .containsEntry("component", "jobmanager");
        assertThat(pdb.getSpec().getMaxUnavailable())
                .as("PodDisruptionBudget %s: set maxUnavailable: 1", pdb.getMetadata().getName())
                .isNotNull();
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal())
                .as("PodDisruptionBudget %s: maxUnavailable must be 1", pdb.getMetadata().getName())
                .isEqualTo(1);
        assertThat(pdb.getSpec().getMinAvailable())
                .as("PodDisruptionBudget %s: set maxUnavailable only", pdb.getMetadata().getName())
                .isNull();
    }

    // ---------------------------------------------------------------- helpers

    private static FlinkDeployment deployment(Job job) {
        return KubernetesManifests.flinkDeployments().stream()
                .filter(d -> job.deploymentName.equals(d.getMetadata().getName()))
                .findFirst()
                .orElseThrow(
                        () ->
                                new AssertionError(
                                        "No FlinkDeployment named "
                                                + job.deploymentName
                                                + " in "
                                                + KubernetesManifests.DIR
                                                + ": add "
                                                + job.deploymentName
                                                + ".yaml"));
    }

    private static void checkApiVersion(Document d, String expected) {
        assertThat(d.apiVersion())
                .as("%s: apiVersion must be %s", d.where(), expected)
                .isEqualTo(expected);
    }

    private static String required(Map<String, String> conf, String key, String where) {
        String value = conf.get(key);
        assertThat(value).as("%s: flinkConfiguration %s is not set", where, key).isNotBlank();
        return value;
    }

    private static String normalize(String path) {
        return path == null ? null : path.replaceAll("/+$", "");
    }

    /** Credentials: secrets by Flink's rules, and the user names that go with them. */
    private static boolean isCredential(String key) {
        return PipelineConfig.isSecret(key) || key.endsWith(".username");
    }

    private static String rootFlinkVersion() throws IOException {
        Matcher m =
                Pattern.compile("<flink\\.version>([^<]+)</flink\\.version>")
                        .matcher(Files.readString(ROOT_POM, StandardCharsets.UTF_8));
        assertThat(m.find()).as("%s has no <flink.version> property", ROOT_POM).isTrue();
        return m.group(1).trim();
    }

    /** The operator's FlinkVersion for flink.version of the root pom, e.g. v1_20 for 1.20.1. */
    private static FlinkVersion expectedFlinkVersion() throws IOException {
        String[] parts = rootFlinkVersion().split("\\.");
        String name = "v" + parts[0] + "_" + parts[1];
        return Arrays.stream(FlinkVersion.values())
                .filter(v -> v.name().equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new AssertionError(
                                        "The operator API on the classpath has no FlinkVersion "
                                                + name
                                                + ": upgrade flink-kubernetes-operator-api (and the"
                                                + " operator) to one that supports Flink "
                                                + parts[0]
                                                + "."
                                                + parts[1]));
    }

    /** The public static ConfigOption fields of a class, by key. */
    private static Map<String, ConfigOption<?>> configOptions(Class<?> c) {
        Map<String, ConfigOption<?>> options = new TreeMap<>();
        for (Field f : c.getFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                    options.put(option.key(), option);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }

    /** PIPELINEKIT_* variable names of the job's options, mapped to the option keys. */
    private static Map<String, String> variableToKey(Job job) {
        Map<String, String> variables = new TreeMap<>();
        for (String key : job.options().keySet()) {
            variables.put(PipelineConfig.environmentVariable(key), key);
        }
        return variables;
    }

    /** A job's config file as mounted from its ConfigMap, loaded like the job loads it. */
    private static final class JobConfig {
        Map<String, String> file;
        Configuration fromJobsLoader;
        Configuration withEnvironment;
        Map<String, String> environment = new LinkedHashMap<>();
        Map<String, String> variableToKey;
    }

    private JobConfig jobConfig(Job job, FlinkDeployment deployment) throws IOException {
        String where = job.deploymentName;
        String path = deployment.getSpec().getJob().getArgs()[1];
        List<PodTemplateSpec> templates = KubernetesManifests.jobManagerTemplates(deployment);

        // The volume mounted at the file's directory, and the ConfigMap key behind the file.
        VolumeMount mount = null;
        for (Container main : KubernetesManifests.mainContainers(templates)) {
            for (VolumeMount m : main.getVolumeMounts()) {
                if (path.startsWith(m.getMountPath().replaceAll("/+$", "") + "/")
                        || path.equals(m.getMountPath())) {
                    mount = m;
                }
            }
        }
        assertThat(mount)
                .as(
                        "%s: no volumeMount of %s holds %s; mount the job's ConfigMap at %s",
                        where, KubernetesManifests.MAIN_CONTAINER, path, CONFIG_DIR)
                .isNotNull();
        String mountName = mount.getName();
        Volume volume =
                templates.stream()
                        .filter(t -> t.getSpec() != null)
                        .flatMap(t -> t.getSpec().getVolumes().stream())
                        .filter(v -> v.getName().equals(mountName))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                where
                                                        + ": volumeMount "
                                                        + mountName
                                                        + " has no volume"));
        assertThat(volume.getConfigMap())
                .as("%s: volume %s must be a configMap volume", where, volume.getName())
                .isNotNull();
        String relative =
                path.equals(mount.getMountPath())
                        ? mount.getSubPath()
                        : path.substring(mount.getMountPath().replaceAll("/+$", "").length() + 1);
        String dataKey = relative;
        List<KeyToPath> items = volume.getConfigMap().getItems();
        if (items != null && !items.isEmpty()) {
            dataKey =
                    items.stream()
                            .filter(i -> i.getPath().equals(relative))
                            .map(KeyToPath::getKey)
                            .findFirst()
                            .orElse(null);
        }
        String configMapName = volume.getConfigMap().getName();
        ConfigMap configMap =
                KubernetesManifests.configMaps().stream()
                        .filter(c -> c.getMetadata().getName().equals(configMapName))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                where
                                                        + ": ConfigMap "
                                                        + configMapName
                                                        + " is not in "
                                                        + KubernetesManifests.DIR
                                                        + "; add it to job-config.yaml"));
        String content = configMap.getData() == null ? null : configMap.getData().get(dataKey);
        assertThat(content)
                .as(
                        "%s: ConfigMap %s has no key %s, so %s would not exist",
                        where, configMapName, dataKey, path)
                .isNotNull();

        Path file =
                tmp.resolve(job.deploymentName).resolve(Paths.get(path).getFileName().toString());
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        String[] args = {"--config", file.toString()};

        JobConfig config = new JobConfig();
        config.file = ConfigFiles.read(file);
        try {
            config.fromJobsLoader = job.loadWithTheJobsLoader(args);
        } catch (RuntimeException e) {
            throw new AssertionError(
                    where
                            + ": the job refuses its config file (ConfigMap "
                            + configMapName
                            + ", key "
                            + dataKey
                            + "): "
                            + e.getMessage()
                            + "\nFix the key or value there; required options must be in the file.",
                    e);
        }

        config.variableToKey = variableToKey(job);
        for (Container main : KubernetesManifests.mainContainers(templates)) {
            for (EnvVar env : main.getEnv()) {
                if (!env.getName().startsWith(PipelineConfig.ENV_PREFIX)) {
                    continue;
                }
                assertThat(config.variableToKey)
                        .as(
                                "%s: %s is no option of the job; valid variables: %s",
                                where, env.getName(), config.variableToKey.keySet())
                        .containsKey(env.getName());
                config.environment.put(
                        env.getName(),
                        env.getValue() != null
                                ? env.getValue()
                                : "dummy-" + env.getName().toLowerCase(Locale.ROOT));
            }
        }
        try {
            config.withEnvironment =
                    PipelineConfig.loader()
                            .options(job.optionClasses)
                            .environment(config.environment)
                            .args(args)
                            .load()
                            .configuration();
        } catch (RuntimeException e) {
            throw new AssertionError(
                    where
                            + ": the job refuses its config file with the manifest's PIPELINEKIT_*"
                            + " variables "
                            + config.environment.keySet()
                            + ": "
                            + e.getMessage(),
                    e);
        }
        return config;
    }
}
