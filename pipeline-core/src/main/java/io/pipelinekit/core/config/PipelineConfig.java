package io.pipelinekit.core.config;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.config.internal.ConfigFiles;
import io.pipelinekit.core.config.internal.OptionCatalog;
import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.sink.IdempotentSinkOptions;
import io.pipelinekit.core.sink.postgres.PostgresSinkOptions;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A job's configuration from typed {@code *Options} classes, read from (lowest to highest
 * precedence) the options' defaults, a properties or YAML file ({@code --config <file>}),
 * environment variables ({@code PIPELINEKIT_<KEY>}, the key upper-cased with {@code .} and {@code
 * -} as {@code _}) and command-line arguments ({@code --<key> <value>} or {@code --<key>=<value>}).
 *
 * <p>Unknown keys and values of the wrong type fail with a message naming the valid keys. Secrets
 * (keys Flink considers sensitive: {@code password}, {@code secret}, {@code token}, {@code
 * jaas.config}, ...) are refused on the command line, may point at a file ({@code
 * file:/run/secrets/x}) and are masked in {@link #describe()} and in error messages.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     PipelineConfig config =
 *             PipelineConfig.loader()
 *                     .options(KafkaOptions.class, SchemaRegistryOptions.class, DeadLetterOptions.class)
 *                     .require(KafkaOptions.BOOTSTRAP_SERVERS)
 *                     .args(args)
 *                     .load();
 *     new MyJob(config).run(StreamExecutionEnvironment.getExecutionEnvironment());
 * }
 * }</pre>
 */
@PublicEvolving
public final class PipelineConfig {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineConfig.class);

    /** Prefix of environment variables that set options. */
    public static final String ENV_PREFIX = "PIPELINEKIT_";

    /** A secret's value may name a file holding it. */
    public static final String FILE_PREFIX = "file:";

    /** Where a value came from. */
    public enum Source {
        DEFAULT,
        FILE,
        ENVIRONMENT,
        ARGUMENT
    }

    private final Configuration configuration;
    private final Map<String, Source> sources;
    private final OptionCatalog catalog;

    private PipelineConfig(
            Configuration configuration, Map<String, Source> sources, OptionCatalog catalog) {
        this.configuration = configuration;
        this.sources = Collections.unmodifiableMap(sources);
        this.catalog = catalog;
    }

    public static Loader loader() {
        return new Loader();
    }

    /** The value of an option (its default when not set). */
    public <T> T get(ConfigOption<T> option) {
        return configuration.get(option);
    }

    /** A copy of the values as a Flink configuration, e.g. for {@code ConfluentAvro}. */
    public Configuration configuration() {
        return new Configuration(configuration);
    }

    /** Where the value of {@code key} came from. */
    public Source source(String key) {
        return sources.getOrDefault(key, Source.DEFAULT);
    }

    /**
     * The values of every secret option set in {@code config}, e.g. to mask them in dead letters.
     */
    public static String[] secretValues(org.apache.flink.configuration.ReadableConfig config) {
        return config.toMap().entrySet().stream()
                .filter(
                        e ->
                                isSecret(e.getKey())
                                        && e.getValue() != null
                                        && !e.getValue().isBlank())
                .map(Map.Entry::getValue)
                .toArray(String[]::new);
    }

    /** Whether a key holds a secret (masked when printed). */
    public static boolean isSecret(String key) {
        return GlobalConfiguration.isSensitive(key);
    }

    /** A table of every known option, its value (secrets masked) and where the value came from. */
    public String describe() {
        Map<String, String> rows = new TreeMap<>();
        for (ConfigOption<?> option : catalog.options()) {
            Object value = configuration.getOptional(option).orElse(null);
            String shown =
                    value == null
                            ? "(unset)"
                            : isSecret(option.key()) ? "******" : String.valueOf(value);
            rows.put(option.key(), shown + "\t" + source(option.key()).name().toLowerCase());
        }
        int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
        StringBuilder out = new StringBuilder("Pipeline configuration\n");
        rows.forEach(
                (key, row) -> {
                    String[] parts = row.split("\t");
                    out.append(
                            String.format(
                                    "  %-" + width + "s  %-40s  %s%n", key, parts[0], parts[1]));
                });
        return out.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /** The environment variable that sets {@code key}. */
    public static String environmentVariable(String key) {
        return ENV_PREFIX
                + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Builder of {@link PipelineConfig}. */
    @PublicEvolving
    public static final class Loader {
        private final List<Class<?>> optionClasses = new ArrayList<>();
        private final List<ConfigOption<?>> required = new ArrayList<>();
        private String[] args = new String[0];
        private Map<String, String> environment = System.getenv();

        private Loader() {}

        /** Classes whose {@code public static final ConfigOption} fields this job accepts. */
        public Loader options(Class<?>... classes) {
            for (Class<?> c : classes) {
                optionClasses.add(Objects.requireNonNull(c, "options class"));
            }
            return this;
        }

        /**
         * The options of every building block of the core a job configures: {@link KafkaOptions},
         * {@link SchemaRegistryOptions}, {@link CheckpointOptions}, {@link DeadLetterOptions},
         * {@link IdempotentSinkOptions} and {@link PostgresSinkOptions}. A job that uses only some
         * of them may prefer {@link #options} with just those: unknown keys are refused, and keys
         * of unused blocks then count as unknown.
         */
        public Loader coreOptions() {
            return options(
                    KafkaOptions.class,
                    SchemaRegistryOptions.class,
                    CheckpointOptions.class,
                    DeadLetterOptions.class,
                    IdempotentSinkOptions.class,
                    PostgresSinkOptions.class);
        }

        /** Options without a default that the job cannot run without. */
        public Loader require(ConfigOption<?>... options) {
            for (ConfigOption<?> option : options) {
                required.add(Objects.requireNonNull(option, "option"));
            }
            return this;
        }

        /**
         * Command-line arguments: {@code --config <file>}, {@code --<key> <value>}, {@code
         * --<key>=<value>}.
         */
        public Loader args(String... arguments) {
            this.args = Objects.requireNonNull(arguments, "args").clone();
            return this;
        }

        /**
         * The environment to read {@code PIPELINEKIT_*} variables from (default: the process's).
         */
        public Loader environment(Map<String, String> variables) {
            this.environment = Map.copyOf(Objects.requireNonNull(variables, "environment"));
            return this;
        }

        public PipelineConfig load() {
            if (optionClasses.isEmpty()) {
                throw new IllegalStateException(
                        "PipelineConfig needs the job's *Options classes: options(...)");
            }
            OptionCatalog catalog = OptionCatalog.of(optionClasses);
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, Source> sources = new LinkedHashMap<>();

            Map<String, String> arguments = parseArgs(args);
            String configFile = arguments.remove("config");
            if (configFile != null) {
                for (Map.Entry<String, String> e :
                        ConfigFiles.read(Paths.get(configFile)).entrySet()) {
                    catalog.requireKnown(e.getKey(), "in " + configFile);
                    values.put(e.getKey(), e.getValue());
                    sources.put(e.getKey(), Source.FILE);
                }
            }
            for (ConfigOption<?> option : catalog.options()) {
                String value = environment.get(environmentVariable(option.key()));
                if (value != null) {
                    values.put(option.key(), value);
                    sources.put(option.key(), Source.ENVIRONMENT);
                }
            }
            for (Map.Entry<String, String> e : arguments.entrySet()) {
                catalog.requireKnown(e.getKey(), "on the command line");
                if (isSecret(e.getKey())) {
                    throw new IllegalArgumentException(
                            e.getKey()
                                    + " is a secret and may not be passed on the command line"
                                    + " (process listings show it): set "
                                    + environmentVariable(e.getKey())
                                    + " or put it in the --config file, optionally as"
                                    + " file:/path/to/secret.");
                }
                values.put(e.getKey(), e.getValue());
                sources.put(e.getKey(), Source.ARGUMENT);
            }

            Configuration configuration = new Configuration();
            for (Map.Entry<String, String> e : values.entrySet()) {
                configuration.setString(e.getKey(), resolveFile(e.getKey(), e.getValue()));
            }
            catalog.validateTypes(configuration, values.keySet());
            for (ConfigOption<?> option : required) {
                String value = configuration.toMap().get(option.key());
                if (value == null || value.isBlank()) {
                    throw new IllegalArgumentException(
                            "Missing required option "
                                    + option.key()
                                    + ": pass --"
                                    + option.key()
                                    + " <value>, set "
                                    + environmentVariable(option.key())
                                    + ", or put it in the --config file. "
                                    + OptionCatalog.describeText(option));
                }
            }
            PipelineConfig config = new PipelineConfig(configuration, sources, catalog);
            LOG.info("{}", config.describe());
            return config;
        }

        private static String resolveFile(String key, String value) {
            if (!isSecret(key) || !value.startsWith(FILE_PREFIX)) {
                return value;
            }
            Path file = Paths.get(value.substring(FILE_PREFIX.length()));
            try {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "Cannot read the secret " + key + " from " + file + ": " + e.getMessage(),
                        e);
            }
        }

        private static Map<String, String> parseArgs(String[] args) {
            Map<String, String> result = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--") || arg.length() == 2) {
                    throw new IllegalArgumentException(
                            "Unexpected argument '"
                                    + arg
                                    + "': options are --<key> <value> or --<key>=<value>");
                }
                String body = arg.substring(2);
                int eq = body.indexOf('=');
                if (eq > 0) {
                    result.put(body.substring(0, eq), body.substring(eq + 1));
                } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    result.put(body, args[++i]);
                } else {
                    throw new IllegalArgumentException("Option --" + body + " has no value");
                }
            }
            return result;
        }
    }
}
