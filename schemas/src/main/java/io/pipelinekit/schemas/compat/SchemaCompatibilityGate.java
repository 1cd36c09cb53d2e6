package io.pipelinekit.schemas.compat;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The build's compatibility gate for the Avro contracts: checks every contract in a source
 * directory against its released versions in a baseline directory with Avro's own {@link
 * SchemaCompatibility} checker, under the compatibility mode declared for it, and checks the
 * contract conventions (namespace, documentation on every record and field).
 *
 * <p>Baselines: {@code <baselines>/<full name>/v<N>.avsc}, one file per released version. Modes:
 * {@code <baselines>/compatibility.properties}, {@code default=BACKWARD} plus {@code <full
 * name>=<mode>} overrides.
 *
 * <pre>{@code
 * GateReport report = SchemaCompatibilityGate.check(Paths.get("src/main/avro"), Paths.get("compat"));
 * if (!report.passed()) throw new IllegalStateException(report.format());
 * }</pre>
 *
 * <p>From the command line (the build runs this): {@code SchemaCompatibilityGate --schemas DIR
 * --baselines DIR [--release]}; {@code --release} records every changed contract as its next
 * baseline version after the check passed.
 */
public final class SchemaCompatibilityGate {

    /** Namespace every contract of this project lives under. */
    public static final String NAMESPACE_PREFIX = "io.pipelinekit.schemas";

    private static final Pattern VERSION_FILE = Pattern.compile("v(\\d+)\\.avsc");

    private SchemaCompatibilityGate() {}

    public static void main(String[] args) {
        Map<String, String> options = parseArgs(args);
        Path schemas = Paths.get(options.getOrDefault("--schemas", "src/main/avro"));
        Path baselines = Paths.get(options.getOrDefault("--baselines", "compat"));
        GateReport report = check(schemas, baselines);
        System.out.println(report.format());
        if (!report.passed()) {
            throw new IllegalStateException(
                    report.violations().size()
                            + " schema compatibility violation(s); see the table above. Fix the"
                            + " contract, or, if breaking consumers is intended, declare a"
                            + " different mode in "
                            + baselines.resolve("compatibility.properties")
                            + " or publish it as a new contract (new name).");
        }
        if (options.containsKey("--release")) {
            for (Path released : release(schemas, baselines)) {
                System.out.println("Recorded baseline " + released);
            }
        }
    }

    /** Checks all contracts under {@code schemaDir} against their baselines. */
    public static GateReport check(Path schemaDir, Path baselineDir) {
        Map<String, Schema> current = loadContracts(schemaDir);
        Properties modes = loadModes(baselineDir);
        CompatibilityMode defaultMode =
                parseMode(modes.getProperty("default", "BACKWARD"), "default");
        List<CompatibilityViolation> violations = new ArrayList<>();
        List<GateReport.Row> rows = new ArrayList<>();

        for (Map.Entry<String, Schema> entry : current.entrySet()) {
            String name = entry.getKey();
            Schema schema = entry.getValue();
            CompatibilityMode mode =
                    modes.containsKey(name)
                            ? parseMode(modes.getProperty(name), name)
                            : defaultMode;
            List<Release> releases = loadReleases(baselineDir.resolve(name));
            int before = violations.size();
            checkConventions(name, schema, violations);
            SortedMap<Integer, Schema> released = new TreeMap<>();
            releases.forEach(r -> released.put(r.version, r.schema));
            violations.addAll(checkEvolution(name, mode, schema, released));
            rows.add(
                    new GateReport.Row(
                            name,
                            mode,
                            releases.stream()
                                    .map(r -> "v" + r.version)
                                    .collect(Collectors.joining(",")),
                            violations.size() - before));
        }
        for (String released : listBaselineNames(baselineDir)) {
            if (!current.containsKey(released)) {
                violations.add(
                        new CompatibilityViolation(
                                released,
                                "DELETED",
                                "-",
                                "the contract was released but is no longer in "
                                        + schemaDir
                                        + ": consumers may still depend on it. Restore it, or"
                                        + " delete "
                                        + baselineDir.resolve(released)
                                        + " as well when it is retired on purpose."));
            }
        }
        return new GateReport(rows, violations);
    }

    /**
     * Records each contract whose current text differs from its latest baseline as the next version
     * ({@code v<N+1>.avsc}); returns the files written.
     */
    public static List<Path> release(Path schemaDir, Path baselineDir) {
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, Schema> entry : loadContracts(schemaDir).entrySet()) {
            Path dir = baselineDir.resolve(entry.getKey());
            List<Release> releases = loadReleases(dir);
            if (!releases.isEmpty()
                    && releases.get(releases.size() - 1).schema.equals(entry.getValue())) {
                continue;
            }
            int next = releases.isEmpty() ? 1 : releases.get(releases.size() - 1).version + 1;
            Path file = dir.resolve("v" + next + ".avsc");
            try {
                Files.createDirectories(dir);
                Files.writeString(
                        file, entry.getValue().toString(true) + "\n", StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            written.add(file);
        }
        return written;
    }

    /**
     * Checks a candidate version of a contract against its released versions (version number to
     * schema) under {@code mode}, with Avro's own checker; empty when the change is allowed.
     */
    public static List<CompatibilityViolation> checkEvolution(
            String name,
            CompatibilityMode mode,
            Schema candidate,
            SortedMap<Integer, Schema> released) {
        List<CompatibilityViolation> violations = new ArrayList<>();
        if (released.isEmpty()) {
            return violations;
        }
        SortedMap<Integer, Schema> against =
                mode.transitive() ? released : released.tailMap(released.lastKey());
        for (Map.Entry<Integer, Schema> version : against.entrySet()) {
            Release release = new Release(version.getKey(), version.getValue());
            if (mode.newReadsOld()) {
                compare(name, mode, release, candidate, release.schema, "new reader", violations);
            }
            if (mode.oldReadsNew()) {
                compare(name, mode, release, release.schema, candidate, "old reader", violations);
            }
        }
        return violations;
    }

    private static void compare(
            String name,
            CompatibilityMode mode,
            Release release,
            Schema reader,
            Schema writer,
            String readerRole,
            List<CompatibilityViolation> violations) {
        SchemaCompatibility.SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        String consequence =
                readerRole.equals("new reader")
                        ? "consumers on the new schema could not read data written with v"
                                + release.version
                        : "consumers still on v"
                                + release.version
                                + " could not read data written with the new schema";
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            String field = fieldPath(reader, incompatibility);
            violations.add(
                    new CompatibilityViolation(
                            name,
                            mode + " vs v" + release.version + ": " + incompatibility.getType(),
                            field,
                            consequence
                                    + " ("
                                    + describe(incompatibility)
                                    + " at "
                                    + incompatibility.getLocation()
                                    + "). "
                                    + advice(incompatibility)));
        }
    }

    private static String describe(Incompatibility incompatibility) {
        switch (incompatibility.getType()) {
            case READER_FIELD_MISSING_DEFAULT_VALUE:
                return "field '" + incompatibility.getMessage() + "' has no default value";
            default:
                return incompatibility.getMessage();
        }
    }

    private static String advice(Incompatibility incompatibility) {
        switch (incompatibility.getType()) {
            case READER_FIELD_MISSING_DEFAULT_VALUE:
                return "Give the field a default (e.g. make it a union with null and \"default\":"
                        + " null) instead of adding or removing a required field.";
            case TYPE_MISMATCH:
                return "Keep the field's type; add a new field with the new type and deprecate the"
                        + " old one.";
            case NAME_MISMATCH:
                return "Keep the name, or add the old name to \"aliases\".";
            case MISSING_ENUM_SYMBOLS:
                return "Keep enum symbols, or give the enum a \"default\" symbol.";
            case MISSING_UNION_BRANCH:
                return "Keep the union branch that released data may use.";
            case FIXED_SIZE_MISMATCH:
                return "Keep the fixed size.";
            default:
                return "Revert the change or publish a new contract.";
        }
    }

    /** Turns the checker's JSON-pointer location into a dotted field path of the reader schema. */
    static String fieldPath(Schema reader, Incompatibility incompatibility) {
        String path = walk(reader, incompatibility.getLocation());
        return path.isEmpty() ? "-" : path;
    }

    private static String walk(Schema schema, String location) {
        List<String> names = new ArrayList<>();
        String[] parts = location.split("/");
        Schema at = schema;
        for (int i = 0; i < parts.length && at != null; i++) {
            String part = parts[i];
            if (part.isEmpty()) {
                continue;
            }
            switch (part) {
                case "fields":
                    if (i + 1 < parts.length && at.getType() == Schema.Type.RECORD) {
                        Schema.Field field = at.getFields().get(Integer.parseInt(parts[++i]));
                        names.add(field.name());
                        at = field.schema();
                    }
                    break;
                case "type":
                    break;
                case "items":
                    at = at.getType() == Schema.Type.ARRAY ? at.getElementType() : at;
                    break;
                case "values":
                    at = at.getType() == Schema.Type.MAP ? at.getValueType() : at;
                    break;
                default:
                    if (at.getType() == Schema.Type.UNION && part.matches("\\d+")) {
                        at = at.getTypes().get(Integer.parseInt(part));
                    }
            }
        }
        return String.join(".", names);
    }

    private static void checkConventions(
            String name, Schema schema, List<CompatibilityViolation> violations) {
        if (!name.startsWith(NAMESPACE_PREFIX + ".")) {
            violations.add(
                    new CompatibilityViolation(
                            name,
                            "CONVENTION: namespace",
                            "-",
                            "contracts live under the namespace "
                                    + NAMESPACE_PREFIX
                                    + ".<domain>"));
        }
        checkDocs(name, schema, "", violations, new java.util.HashSet<>());
    }

    private static void checkDocs(
            String name,
            Schema schema,
            String path,
            List<CompatibilityViolation> violations,
            java.util.Set<String> seen) {
        switch (schema.getType()) {
            case RECORD:
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                if (isBlank(schema.getDoc())) {
                    violations.add(
                            new CompatibilityViolation(
                                    name,
                                    "CONVENTION: doc",
                                    path.isEmpty() ? "-" : path,
                                    "record "
                                            + schema.getName()
                                            + " has no \"doc\": say what one record means"));
                }
                for (Schema.Field field : schema.getFields()) {
                    String fieldPath = path.isEmpty() ? field.name() : path + "." + field.name();
                    if (isBlank(field.doc())) {
                        violations.add(
                                new CompatibilityViolation(
                                        name,
                                        "CONVENTION: doc",
                                        fieldPath,
                                        "field has no \"doc\": say what it means, its unit and when"
                                                + " it is null"));
                    }
                    checkDocs(name, field.schema(), fieldPath, violations, seen);
                }
                break;
            case UNION:
                for (Schema branch : schema.getTypes()) {
                    checkDocs(name, branch, path, violations, seen);
                }
                break;
            case ARRAY:
                checkDocs(name, schema.getElementType(), path, violations, seen);
                break;
            case MAP:
                checkDocs(name, schema.getValueType(), path, violations, seen);
                break;
            default:
                break;
        }
    }

    private static boolean isBlank(String text) {
        return text == null || text.isBlank();
    }

    static Map<String, Schema> loadContracts(Path schemaDir) {
        if (!Files.isDirectory(schemaDir)) {
            throw new IllegalArgumentException("No schema directory " + schemaDir.toAbsolutePath());
        }
        Map<String, Schema> contracts = new TreeMap<>();
        try (Stream<Path> files = Files.walk(schemaDir)) {
            for (Path file :
                    files.filter(p -> p.toString().endsWith(".avsc"))
                            .sorted()
                            .collect(Collectors.toList())) {
                Schema schema = parse(file);
                Schema previous = contracts.put(schema.getFullName(), schema);
                if (previous != null) {
                    throw new IllegalStateException(
                            "Two files define " + schema.getFullName() + "; the second is " + file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return contracts;
    }

    private static List<Release> loadReleases(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Release> releases = new ArrayList<>();
            for (Path file : files.collect(Collectors.toList())) {
                Matcher matcher = VERSION_FILE.matcher(file.getFileName().toString());
                if (matcher.matches()) {
                    releases.add(new Release(Integer.parseInt(matcher.group(1)), parse(file)));
                }
            }
            releases.sort(Comparator.comparingInt(r -> r.version));
            return releases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> listBaselineNames(Path baselineDir) {
        if (!Files.isDirectory(baselineDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(baselineDir)) {
            return dirs.filter(Files::isDirectory)
                    .map(d -> d.getFileName().toString())
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties loadModes(Path baselineDir) {
        Properties modes = new Properties();
        Path file = baselineDir.resolve("compatibility.properties");
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                modes.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return modes;
    }

    private static CompatibilityMode parseMode(String value, String key) {
        try {
            return CompatibilityMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "compatibility.properties: '"
                            + key
                            + "="
                            + value
                            + "' is not a mode; use one of "
                            + java.util.Arrays.toString(CompatibilityMode.values()),
                    e);
        }
    }

    private static Schema parse(Path file) {
        try {
            return new Schema.Parser().parse(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "Invalid Avro schema " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> parseArgs(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--release")) {
                options.put("--release", "true");
            } else if ((args[i].equals("--schemas") || args[i].equals("--baselines"))
                    && i + 1 < args.length) {
                options.put(args[i], args[++i]);
            } else {
                throw new IllegalArgumentException(
                        "Unknown argument '"
                                + args[i]
                                + "'. Usage: SchemaCompatibilityGate --schemas DIR --baselines DIR"
                                + " [--release]");
            }
        }
        return options;
    }

    private static final class Release {
        final int version;
        final Schema schema;

        Release(int version, Schema schema) {
            this.version = version;
            this.schema = schema;
        }
    }
}
