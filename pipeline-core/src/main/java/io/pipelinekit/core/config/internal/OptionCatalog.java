package io.pipelinekit.core.config.internal;

import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The {@link ConfigOption}s a job accepts, collected from its {@code *Options} classes. */
@Internal
public final class OptionCatalog {

    private final Map<String, ConfigOption<?>> options;

    private OptionCatalog(Map<String, ConfigOption<?>> options) {
        this.options = options;
    }

    public static OptionCatalog of(Collection<Class<?>> optionClasses) {
        Map<String, ConfigOption<?>> options = new TreeMap<>();
        for (Class<?> optionClass : optionClasses) {
            for (ConfigOption<?> option : optionsOf(optionClass)) {
                ConfigOption<?> previous = options.put(option.key(), option);
                if (previous != null && previous != option) {
                    throw new IllegalStateException("Two options classes define " + option.key());
                }
            }
        }
        return new OptionCatalog(options);
    }

    /** The public static final ConfigOption fields of a class, in declaration order. */
    public static List<ConfigOption<?>> optionsOf(Class<?> optionClass) {
        List<ConfigOption<?>> result = new ArrayList<>();
        for (Field field : optionClass.getFields()) {
            int modifiers = field.getModifiers();
            if (Modifier.isStatic(modifiers)
                    && ConfigOption.class.isAssignableFrom(field.getType())) {
                try {
                    result.add((ConfigOption<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException(
                    optionClass.getName() + " declares no ConfigOption constants");
        }
        return result;
    }

    public Collection<ConfigOption<?>> options() {
        return options.values();
    }

    public void requireKnown(String key, String where) {
        if (!options.containsKey(key)) {
            String nearest =
                    options.keySet().stream()
                            .min(Comparator.comparingInt(k -> distance(k, key)))
                            .orElse("");
            throw new IllegalArgumentException(
                    "Unknown option '"
                            + key
                            + "' "
                            + where
                            + (distance(nearest, key) <= 3
                                    ? ". Did you mean '" + nearest + "'?"
                                    : ".")
                            + " Valid options: "
                            + String.join(", ", options.keySet()));
        }
    }

    /** Reads every set option with its type, failing with the key and the expected type. */
    public void validateTypes(Configuration configuration, Collection<String> setKeys) {
        for (String key : setKeys) {
            ConfigOption<?> option = options.get(key);
            try {
                configuration.get(option);
            } catch (RuntimeException e) {
                boolean secret = GlobalConfiguration.isSensitive(key);
                throw new IllegalArgumentException(
                        "Invalid value "
                                + (secret
                                        ? "(secret, not shown)"
                                        : "'" + configuration.toMap().get(key) + "'")
                                + " for "
                                + key
                                + ": expected "
                                + describeType(option)
                                + ". "
                                + describeText(option),
                        secret ? null : e);
            }
        }
    }

    /** An option's description as plain text. */
    public static String describeText(ConfigOption<?> option) {
        String html =
                new org.apache.flink.configuration.description.HtmlFormatter()
                        .format(option.description());
        return html.replaceAll("<[^>]+>", " ")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
                .replaceAll("\\s+", " ")
                .trim();
    }

    public static String describeType(ConfigOption<?> option) {
        Class<?> clazz = typeOf(option);
        if (clazz.isEnum()) {
            return "one of "
                    + java.util.Arrays.stream(clazz.getEnumConstants())
                            .map(String::valueOf)
                            .collect(Collectors.joining(", "));
        }
        return clazz.getSimpleName();
    }

    private static Class<?> typeOf(ConfigOption<?> option) {
        try {
            java.lang.reflect.Method getClazz = ConfigOption.class.getDeclaredMethod("getClazz");
            getClazz.setAccessible(true);
            return (Class<?>) getClazz.invoke(option);
        } catch (ReflectiveOperationException e) {
            return Object.class;
        }
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] =
                        Math.min(
                                Math.min(current[j - 1] + 1, previous[j] + 1),
                                previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
