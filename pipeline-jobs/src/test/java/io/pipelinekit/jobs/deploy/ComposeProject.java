package io.pipelinekit.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A docker-compose.yml and its .env as {@code docker compose} reads them: services, their
 * environment, commands, bind mounts and ports, with {@code ${VAR}} interpolated from .env.
 */
final class ComposeProject {

    private static final YAMLMapper YAML = new YAMLMapper();

    /**
     * {@code $$}, {@code ${NAME}}, {@code ${NAME:-default}} (and -, ?, :?, +, :+), {@code $NAME}.
     */
    private static final Pattern VARIABLE =
            Pattern.compile(
                    "\\$(?:(\\$)|\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\\}"
                            + "|([A-Za-z_][A-Za-z0-9_]*))");

    private final Path root;
    private final JsonNode compose;
    private final Map<String, String> dotEnv;

    private ComposeProject(Path root, JsonNode compose, Map<String, String> dotEnv) {
        this.root = root;
        this.compose = compose;
        this.dotEnv = dotEnv;
    }

    /** Reads {@code docker-compose.yml} and {@code .env} in {@code root}. */
    static ComposeProject load(Path root) {
        return new ComposeProject(
                root,
                readYaml(root.resolve("docker-compose.yml")),
                readDotEnv(root.resolve(".env")));
    }

    static JsonNode readYaml(Path file) {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            return node == null ? MissingNode.getInstance() : node;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot parse " + file + " as YAML", e);
        }
    }

    /** KEY=VALUE lines as docker compose reads them (comments, blank lines, optional quotes). */
    static Map<String, String> readDotEnv(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        file + ": '" + raw + "' is not KEY=VALUE; docker compose rejects it");
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2
                    && (value.startsWith("\"") && value.endsWith("\"")
                            || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            } else {
                int comment = value.indexOf(" #");
                if (comment >= 0) {
                    value = value.substring(0, comment).strip();
                }
            }
            values.put(line.substring(0, eq).strip(), value);
        }
        return values;
    }

    Path root() {
        return root;
    }

    Map<String, String> dotEnv() {
        return dotEnv;
    }

    List<String> serviceNames() {
        List<String> names = new ArrayList<>();
        compose.path("services").fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The service's node as written (not interpolated). */
    JsonNode service(String name) {
        return compose.path("services").path(name);
    }

    boolean hasService(String name) {
        return compose.path("services").has(name);
    }

    /** The only service matching {@code predicate}; fails naming {@code role} otherwise. */
    String onlyService(String role, Predicate<String> predicate) {
        List<String> matches = new ArrayList<>();
        for (String name : serviceNames()) {
            if (predicate.test(name)) {
                matches.add(name);
            }
        }
        if (matches.size() != 1) {
            throw new AssertionError(
                    "docker-compose.yml must have exactly one "
                            + role
                            + " service, found "
                            + matches
                            + ": DockerComposeTest finds services by what they do, so keep one"
                            + " service per role");
        }
        return matches.get(0);
    }

    /** {@code text} with {@code ${VAR}} replaced from .env and {@code $$} as {@code $}. */
    String interpolate(String text) {
        Matcher matcher = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String replacement;
            if (matcher.group(1) != null) {
                replacement = "$";
            } else {
                String name = matcher.group(2) != null ? matcher.group(2) : matcher.group(5);
                String operator = matcher.group(3);
                String argument = matcher.group(4);
                String value = dotEnv.get(name);
                boolean unsetOrEmpty = value == null || value.isEmpty();
                if (operator == null) {
                    if (value == null) {
                        throw new AssertionError(
                                "docker-compose.yml uses ${"
                                        + name
                                        + "}, which .env does not define: add "
                                        + name
                                        + "=... to .env (docker compose would substitute an"
                                        + " empty string)");
                    }
                    replacement = value;
                } else if (operator.endsWith("-")) {
                    boolean useDefault = operator.startsWith(":") ? unsetOrEmpty : value == null;
                    replacement = useDefault ? argument : value;
                } else if (operator.endsWith("+")) {
                    boolean set = operator.startsWith(":") ? !unsetOrEmpty : value != null;
                    replacement = set ? argument : "";
                } else {
                    if (operator.startsWith(":") ? unsetOrEmpty : value == null) {
                        throw new AssertionError(
                                "docker-compose.yml requires " + name + " in .env: " + argument);
                    }
                    replacement = value;
                }
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /** The service's environment (map or list form), interpolated. */
    Map<String, String> environment(String service) {
        Map<String, String> environment = new LinkedHashMap<>();
        JsonNode node = service(service).path("environment");
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                environment.put(
                        e.getKey(),
                        e.getValue().isNull() ? "" : interpolate(e.getValue().asText()));
            }
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                String entry = interpolate(item.asText());
                int eq = entry.indexOf('=');
                environment.put(
                        eq < 0 ? entry : entry.substring(0, eq),
                        eq < 0 ? "" : entry.substring(eq + 1));
            }
        }
        return environment;
    }

    /** The entrypoint (when set) and command, interpolated, one element per list item. */
    List<String> commandLine(String service) {
        List<String> words = new ArrayList<>();
        for (String field : List.of("entrypoint", "command")) {
            JsonNode node = service(service).path(field);
            if (node.isArray()) {
                node.forEach(item -> words.add(interpolate(item.asText())));
            } else if (node.isTextual()) {
                words.add(interpolate(node.asText()));
            }
        }
        return words;
    }

    /** The command line as shell text: list items on their own lines, continuations joined. */
    String script(String service) {
        return String.join("\n", commandLine(service)).replace("\\\n", " ");
    }

    /** The service's volumes (short or long syntax), interpolated. */
    List<Mount> mounts(String service) {
        List<Mount> mounts = new ArrayList<>();
        for (JsonNode node : service(service).path("volumes")) {
            if (node.isTextual()) {
                String[] parts = interpolate(node.asText()).split(":");
                if (parts.length < 2) {
                    mounts.add(new Mount(null, parts[0], false));
                } else {
                    mounts.add(new Mount(parts[0], parts[1], isHostPath(parts[0])));
                }
            } else {
                String source = interpolate(node.path("source").asText(""));
                String type = node.path("type").asText("volume");
                mounts.add(
                        new Mount(
                                source,
                                interpolate(node.path("target").asText()),
                                "bind".equals(type)));
            }
        }
        return mounts;
    }

    /**
     * The repository file or folder that {@code service} sees at {@code containerPath}, through its
     * bind mounts (the most specific one).
     */
    Optional<Path> hostPath(String service, String containerPath) {
        Mount best = null;
        for (Mount mount : mounts(service)) {
            if (mount.bind()
                    && (containerPath.equals(mount.target())
                            || containerPath.startsWith(mount.target() + "/"))
                    && (best == null || mount.target().length() > best.target().length())) {
                best = mount;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        String rest = containerPath.substring(best.target().length());
        Path source = root.resolve(best.source()).normalize();
        return Optional.of(rest.isEmpty() ? source : source.resolve(rest.substring(1)));
    }

    private static boolean isHostPath(String source) {
        return source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
    }

    /** A volume: a bind mount of {@code source} (a host path) or a named volume. */
    record Mount(String source, String target, boolean bind) {}
}
