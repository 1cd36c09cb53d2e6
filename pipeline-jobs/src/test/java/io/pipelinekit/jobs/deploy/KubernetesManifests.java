package io.pipelinekit.jobs.deploy;

import org.apache.flink.kubernetes.operator.api.FlinkDeployment;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedClass;
import com.fasterxml.jackson.databind.introspect.AnnotatedMethod;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The YAML documents under deploy/k8s, read strictly into the operator's and fabric8's classes. */
final class KubernetesManifests {

    static final Path DIR = Paths.get("..", "deploy", "k8s");

    /** The Secret templates: documented, never applied. */
    static final String SECRETS_TEMPLATE = "secrets.example.yaml";

    static final String KUSTOMIZATION = "kustomization.yaml";

    /** The container Flink's native Kubernetes integration runs the JobManager/TaskManager in. */
    static final String MAIN_CONTAINER = "flink-main-container";

    private static final YAMLMapper YAML = new YAMLMapper();

    /**
     * Unknown fields fail: the operator's spec classes ignore unknown properties and fabric8's
     * collect them in additionalProperties, both of which would hide a misspelt field.
     */
    private static final YAMLMapper STRICT = new YAMLMapper();

    static {
        STRICT.setAnnotationIntrospector(new StrictIntrospector());
        STRICT.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        STRICT.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        STRICT.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    /** One YAML document of a manifest file. */
    record Document(Path file, int index, JsonNode tree) {

        String kind() {
            return tree.path("kind").asText("");
        }

        String apiVersion() {
            return tree.path("apiVersion").asText("");
        }

        String name() {
            return tree.path("metadata").path("name").asText("");
        }

        String fileName() {
            return file.getFileName().toString();
        }

        /** Where the document is, for failure messages. */
        String where() {
            return fileName() + " (document " + (index + 1) + ", " + kind() + " " + name() + ")";
        }

        /** The document as {@code type}, failing on any field the class does not know. */
        <T> T as(Class<T> type) {
            try {
                return STRICT.treeToValue(tree, type);
            } catch (IOException e) {
                throw new AssertionError(
                        where()
                                + " does not deserialize into "
                                + type.getName()
                                + ": "
                                + e.getMessage()
                                + "\nFix the field's name or type (see the operator's CRD reference"
                                + " for FlinkDeployment, the Kubernetes API reference otherwise).",
                        e);
            }
        }
    }

    private KubernetesManifests() {}

    /** Every YAML file directly in deploy/k8s, sorted by name. */
    static List<Path> files() {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(
                            f ->
                                    f.getFileName().toString().endsWith(".yaml")
                                            || f.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + DIR.toAbsolutePath(), e);
        }
    }

    /** Every non-empty YAML document of every file, multi-document files included. */
    static List<Document> documents() {
        List<Document> documents = new ArrayList<>();
        for (Path file : files()) {
            try (MappingIterator<JsonNode> it =
                    YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                int index = 0;
                while (it.hasNextValue()) {
                    JsonNode tree = it.nextValue();
                    if (tree != null
                            && !tree.isNull()
                            && !tree.isMissingNode()
                            && !tree.isEmpty()) {
                        documents.add(new Document(file, index, tree));
                    }
                    index++;
                }
            } catch (IOException e) {
                throw new AssertionError(file + " is not valid YAML: " + e.getMessage(), e);
            }
        }
        return documents;
    }

    static List<Document> ofKind(String kind) {
        return documents().stream().filter(d -> d.kind().equals(kind)).collect(Collectors.toList());
    }

    static List<FlinkDeployment> flinkDeployments() {
        return ofKind("FlinkDeployment").stream()
                .map(d -> d.as(FlinkDeployment.class))
                .collect(Collectors.toList());
    }

    static List<ConfigMap> configMaps() {
        return ofKind("ConfigMap").stream()
                .map(d -> d.as(ConfigMap.class))
                .collect(Collectors.toList());
    }

    static List<Secret> secrets() {
        return ofKind("Secret").stream().map(d -> d.as(Secret.class)).collect(Collectors.toList());
    }

    static List<PodDisruptionBudget> podDisruptionBudgets() {
        return ofKind("PodDisruptionBudget").stream()
                .map(d -> d.as(PodDisruptionBudget.class))
                .collect(Collectors.toList());
    }

    /**
     * The pod templates of a deployment that apply to the JobManager, where the job's main method
     * runs: the common one, then the JobManager's own.
     */
    static List<PodTemplateSpec> jobManagerTemplates(FlinkDeployment deployment) {
        List<PodTemplateSpec> templates = new ArrayList<>();
        if (deployment.getSpec().getPodTemplate() != null) {
            templates.add(deployment.getSpec().getPodTemplate());
        }
        if (deployment.getSpec().getJobManager() != null
                && deployment.getSpec().getJobManager().getPodTemplate() != null) {
            templates.add(deployment.getSpec().getJobManager().getPodTemplate());
        }
        return templates;
    }

    /** Every pod template of a deployment: common, JobManager and TaskManager. */
    static List<PodTemplateSpec> allTemplates(FlinkDeployment deployment) {
        List<PodTemplateSpec> templates = new ArrayList<>(jobManagerTemplates(deployment));
        if (deployment.getSpec().getTaskManager() != null
                && deployment.getSpec().getTaskManager().getPodTemplate() != null) {
            templates.add(deployment.getSpec().getTaskManager().getPodTemplate());
        }
        return templates;
    }

    /** Every container (init containers included) of the given templates. */
    static List<Container> containers(List<PodTemplateSpec> templates) {
        List<Container> containers = new ArrayList<>();
        for (PodTemplateSpec template : templates) {
            if (template.getSpec() == null) {
                continue;
            }
            containers.addAll(template.getSpec().getContainers());
            containers.addAll(template.getSpec().getInitContainers());
        }
        return containers;
    }

    /** The Flink main containers of the given templates. */
    static List<Container> mainContainers(List<PodTemplateSpec> templates) {
        return containers(templates).stream()
                .filter(c -> MAIN_CONTAINER.equals(c.getName()))
                .collect(Collectors.toList());
    }

    static Map<String, String> flinkConfiguration(FlinkDeployment deployment) {
        Map<String, String> conf = deployment.getSpec().getFlinkConfiguration();
        return conf == null ? Map.of() : conf;
    }

    /** Jackson's annotation reading, minus everything that lets unknown properties pass. */
    private static final class StrictIntrospector extends JacksonAnnotationIntrospector {
        private static final long serialVersionUID = 1L;

        @Override
        public Boolean hasAnySetter(Annotated a) {
            return Boolean.FALSE;
        }

        @Override
        @SuppressWarnings("deprecation")
        public boolean hasAnySetterAnnotation(AnnotatedMethod am) {
            return false;
        }

        @Override
        public JsonIgnoreProperties.Value findPropertyIgnoralByName(
                MapperConfig<?> config, Annotated a) {
            return super.findPropertyIgnoralByName(config, a).withoutIgnoreUnknown();
        }

        @Override
        @SuppressWarnings("deprecation")
        public Boolean findIgnoreUnknownProperties(AnnotatedClass ac) {
            return null;
        }
    }
}
