package io.pipelinekit.core.config.internal;

import org.apache.flink.annotation.Internal;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/** Reads a configuration file: {@code .properties}, or YAML (nested maps flattened with dots). */
@Internal
public final class ConfigFiles {

    private ConfigFiles() {}

    public static Map<String, String> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    "Configuration file " + file.toAbsolutePath() + " does not exist");
        }
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".properties")) {
                Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    properties.load(in);
                }
                Map<String, String> result = new LinkedHashMap<>();
                properties.stringPropertyNames().stream()
                        .sorted()
                        .forEach(k -> result.put(k, properties.getProperty(k).trim()));
                return result;
            }
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    Object document =
                            new Load(LoadSettings.builder().build()).loadFromReader(reader);
                    Map<String, String> result = new LinkedHashMap<>();
                    if (document != null) {
                        if (!(document instanceof Map)) {
                            throw new IllegalArgumentException(
                                    file + " must hold a YAML mapping of options");
                        }
                        flatten("", (Map<?, ?>) document, result);
                    }
                    return result;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read configuration file " + file, e);
        }
        throw new IllegalArgumentException(
                "Configuration file " + file + " must end in .properties, .yaml or .yml");
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
            Object value = e.getValue();
            if (value instanceof Map) {
                flatten(key, (Map<?, ?>) value, out);
            } else if (value instanceof List) {
                out.put(
                        key,
                        ((List<?>) value)
                                .stream().map(String::valueOf).collect(Collectors.joining(";")));
            } else if (value != null) {
                // "key:" without a value leaves the option unset (its default applies).
                out.put(key, String.valueOf(value));
            }
        }
    }
}
