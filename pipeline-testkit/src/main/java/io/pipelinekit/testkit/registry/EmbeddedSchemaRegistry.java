package io.pipelinekit.testkit.registry;

import io.pipelinekit.schemas.compat.CompatibilityMode;
import io.pipelinekit.schemas.compat.CompatibilityViolation;
import io.pipelinekit.schemas.compat.SchemaCompatibilityGate;
import io.pipelinekit.testkit.internal.tls.SelfSignedCertificate;

import org.apache.flink.annotation.PublicEvolving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A schema registry for tests that speaks the Confluent REST API that Avro serializers and clients
 * use: register under a subject, look up by id, list and fetch versions, check compatibility (with
 * Avro's own checker) and configure the compatibility level per subject.
 *
 * <p>No Confluent-compatible registry server can be built from Maven Central, so this one stands in
 * for it; {@code ConfluentClientCompatibilityITCase} drives it with Confluent's own client. Avro
 * only; schema references and contexts are not supported.
 *
 * <pre>{@code
 * try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().build().start()) {
 *     String url = registry.url();   // http://127.0.0.1:<port>
 *     int id = registry.register("payments-value", PaymentTransaction.getClassSchema());
 * }
 * }</pre>
 */
@PublicEvolving
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final String basicAuthHeader;
    private final boolean tls;
    private SelfSignedCertificate certificate;
    private final Object lock = new Object();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<String, SortedMap<Integer, Integer>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityMode> subjectModes = new HashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger failuresToInject = new AtomicInteger();
    private CompatibilityMode globalMode = CompatibilityMode.BACKWARD;
    private int nextId = 1;
    private HttpServer server;
    private java.util.concurrent.ExecutorService executor;

    private EmbeddedSchemaRegistry(Builder builder) {
        this.tls = builder.tls;
        this.basicAuthHeader =
                builder.username == null
                        ? null
                        : "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(
                                                (builder.username + ":" + builder.password)
                                                        .getBytes(StandardCharsets.UTF_8));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts serving on a free loopback port. */
    public synchronized EmbeddedSchemaRegistry start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("Schema registry already started at " + url());
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls) {
            certificate = SelfSignedCertificate.create();
            HttpsServer https = HttpsServer.create(address, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext()));
            server = https;
        } else {
            server = HttpServer.create(address, 0);
        }
        server.createContext("/", this::handle);
        executor =
                Executors.newFixedThreadPool(
                        4,
                        r -> {
                            Thread t = new Thread(r, "embedded-schema-registry");
                            t.setDaemon(true);
                            return t;
                        });
        server.setExecutor(executor);
        server.start();
        return this;
    }

    /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        if (server == null) {
            throw new IllegalStateException("Schema registry not started: call start() first");
        }
        return (tls ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The PKCS12 trust store with this registry's self-signed certificate (TLS mode only). */
    public java.nio.file.Path truststore() {
        if (certificate == null) {
            throw new IllegalStateException("The registry runs without TLS: build it with tls()");
        }
        return certificate.truststore();
    }

    /** The password of {@link #truststore()}. */
    public String truststorePassword() {
        truststore();
        return certificate.password();
    }

    /** HTTP requests served so far, to assert on client-side caching. */
    public int requestCount() {
        return requests.get();
    }

    /** Answers the next {@code count} requests with HTTP 503, as an overloaded registry would. */
    public void failNextRequests(int count) {
        failuresToInject.set(count);
    }

    /** Registers a schema directly (as a producer would) and returns its id. */
    public int register(String subject, Schema schema) {
        synchronized (lock) {
            Result result = registerLocked(subject, schema);
            if (result.status != 200) {
                throw new IllegalArgumentException(result.body.toString());
            }
            return result.body.get("id").asInt();
        }
    }

    /** Sets the compatibility level of a subject (or the global one with {@code null}). */
    public void setCompatibility(String subject, CompatibilityMode mode) {
        synchronized (lock) {
            if (subject == null) {
                globalMode = Objects.requireNonNull(mode);
            } else {
                subjectModes.put(subject, Objects.requireNonNull(mode));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
            executor.shutdownNow();
        }
        if (certificate != null) {
            certificate.delete();
            certificate = null;
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            if (basicAuthHeader != null
                    && !basicAuthHeader.equals(
                            exchange.getRequestHeaders().getFirst("Authorization"))) {
                respond(exchange, error(401, 40101, "Unauthorized"));
                return;
            }
            if (failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                respond(exchange, error(503, 50003, "Injected failure: registry unavailable"));
                return;
            }
            Result result;
            try {
                result = route(exchange);
            } catch (BadRequest e) {
                result = error(422, e.errorCode, e.getMessage());
            } catch (RuntimeException e) {
                result = error(500, 50001, "Error in the backend data store: " + e);
            }
            respond(exchange, result);
        }
    }

    private Result route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        URI uri = exchange.getRequestURI();
        List<String> path = new ArrayList<>();
        for (String segment : uri.getRawPath().split("/")) {
            if (!segment.isEmpty()) {
                path.add(URLDecoder.decode(segment, StandardCharsets.UTF_8));
            }
        }
        Map<String, String> query = query(uri);
        JsonNode body = null;
        if (method.equals("POST") || method.equals("PUT")) {
            try {
                body = JSON.readTree(exchange.getRequestBody().readAllBytes());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new BadRequest(42201, "Request body is not JSON: " + e.getOriginalMessage());
            }
        }
        synchronized (lock) {
            if (path.size() >= 3 && path.get(0).equals("schemas") && path.get(1).equals("ids")) {
                int id = parseInt(path.get(2), 40403);
                if (path.size() == 3 && method.equals("GET")) {
                    return schemaById(id);
                }
                if (path.size() == 4 && path.get(3).equals("versions") && method.equals("GET")) {
                    return versionsOfId(id);
                }
            }
            if (path.size() == 1 && path.get(0).equals("subjects") && method.equals("GET")) {
                ArrayNode names = JSON.createArrayNode();
                subjects.keySet().forEach(names::add);
                return ok(names);
            }
            if (path.size() >= 2 && path.get(0).equals("subjects")) {
                String subject = path.get(1);
                if (path.size() == 2 && method.equals("POST")) {
                    return lookup(subject, parseSchema(body));
                }
                if (path.size() == 2 && method.equals("DELETE")) {
                    return deleteSubject(subject);
                }
                if (path.size() == 3 && path.get(2).equals("versions")) {
                    if (method.equals("POST")) {
                        return registerLocked(subject, parseSchema(body));
                    }
                    if (method.equals("GET")) {
                        return versions(subject);
                    }
                }
                if (path.size() >= 4 && path.get(2).equals("versions") && method.equals("GET")) {
                    Result version = version(subject, path.get(3));
                    if (path.size() == 5 && path.get(4).equals("schema") && version.status == 200) {
                        return ok(JSON.readTree(version.body.get("schema").asText()));
                    }
                    return version;
                }
            }
            if (path.size() >= 3
                    && path.get(0).equals("compatibility")
                    && path.get(1).equals("subjects")
                    && method.equals("POST")) {
                String subject = path.get(2);
                String version = path.size() >= 5 ? path.get(4) : null;
                return compatibility(
                        subject, version, parseSchema(body), "true".equals(query.get("verbose")));
            }
            if (path.size() <= 2 && !path.isEmpty() && path.get(0).equals("config")) {
                String subject = path.size() == 2 ? path.get(1) : null;
                if (method.equals("GET")) {
                    return getConfig(
                            subject,
                            !"false".equals(query.getOrDefault("defaultToGlobal", "true")));
                }
                if (method.equals("PUT")) {
                    return putConfig(subject, body);
                }
                if (method.equals("DELETE") && subject != null) {
                    CompatibilityMode previous = subjectModes.remove(subject);
                    return ok(
                            JSON.createObjectNode()
                                    .put(
                                            "compatibilityLevel",
                                            String.valueOf(
                                                    previous == null ? globalMode : previous)));
                }
            }
            if (path.isEmpty() && method.equals("GET")) {
                return ok(JSON.createObjectNode());
            }
        }
        return error(404, 404, "HTTP 404 Not Found: " + method + " " + uri.getPath());
    }

    private Result registerLocked(String subject, Schema schema) {
        SortedMap<Integer, Integer> versions = subjects.get(subject);
        Integer existingId = idsByCanonical.get(schema.toString());
        if (versions != null && existingId != null && versions.containsValue(existingId)) {
            return ok(JSON.createObjectNode().put("id", existingId));
        }
        if (versions != null && !versions.isEmpty()) {
            List<CompatibilityViolation> violations =
                    SchemaCompatibilityGate.checkEvolution(
                            subject, modeOf(subject), schema, schemasOf(versions));
            if (!violations.isEmpty()) {
                return error(
                        409,
                        409,
                        "Schema being registered is incompatible with an earlier schema for subject"
                                + " \""
                                + subject
                                + "\", details: "
                                + violations);
            }
        }
        int id = existingId != null ? existingId : nextId++;
        schemasById.put(id, schema);
        idsByCanonical.put(schema.toString(), id);
        SortedMap<Integer, Integer> subjectVersions =
                subjects.computeIfAbsent(subject, s -> new TreeMap<>());
        int version = subjectVersions.isEmpty() ? 1 : subjectVersions.lastKey() + 1;
        subjectVersions.put(version, id);
        return ok(JSON.createObjectNode().put("id", id));
    }

    private Result schemaById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            return error(404, 40403, "Schema " + id + " not found");
        }
        return ok(JSON.createObjectNode().put("schema", schema.toString()));
    }

    private Result versionsOfId(int id) {
        if (!schemasById.containsKey(id)) {
            return error(404, 40403, "Schema " + id + " not found");
        }
        ArrayNode result = JSON.createArrayNode();
        subjects.forEach(
                (subject, versions) ->
                        versions.forEach(
                                (version, schemaId) -> {
                                    if (schemaId == id) {
                                        result.addObject()
                                                .put("subject", subject)
                                                .put("version", version);
                                    }
                                }));
        return ok(result);
    }

    private Result lookup(String subject, Schema schema) {
        SortedMap<Integer, Integer> versions = subjects.get(subject);
        if (versions == null) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        Integer id = idsByCanonical.get(schema.toString());
        for (Map.Entry<Integer, Integer> entry : versions.entrySet()) {
            if (entry.getValue().equals(id)) {
                return ok(describe(subject, entry.getKey(), id));
            }
        }
        return error(404, 40403, "Schema not found");
    }

    private Result versions(String subject) {
        SortedMap<Integer, Integer> versions = subjects.get(subject);
        if (versions == null) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        ArrayNode result = JSON.createArrayNode();
        versions.keySet().forEach(result::add);
        return ok(result);
    }

    private Result version(String subject, String versionText) {
        SortedMap<Integer, Integer> versions = subjects.get(subject);
        if (versions == null) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        int version =
                versionText.equals("latest") || versionText.equals("-1")
                        ? versions.lastKey()
                        : parseInt(versionText, 42202);
        Integer id = versions.get(version);
        if (id == null) {
            return error(404, 40402, "Version " + versionText + " not found.");
        }
        return ok(describe(subject, version, id));
    }

    private Result deleteSubject(String subject) {
        SortedMap<Integer, Integer> versions = subjects.remove(subject);
        if (versions == null) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        ArrayNode result = JSON.createArrayNode();
        versions.keySet().forEach(result::add);
        return ok(result);
    }

    private Result compatibility(
            String subject, String versionText, Schema schema, boolean verbose) {
        SortedMap<Integer, Integer> versions = subjects.get(subject);
        if (versions == null) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        SortedMap<Integer, Schema> released = schemasOf(versions);
        CompatibilityMode mode = modeOf(subject);
        if (versionText != null && !versionText.equals("latest") && !versionText.equals("-1")) {
            int version = parseInt(versionText, 42202);
            if (!released.containsKey(version)) {
                return error(404, 40402, "Version " + versionText + " not found.");
            }
            released = new TreeMap<>(Map.of(version, released.get(version)));
        }
        List<CompatibilityViolation> violations =
                SchemaCompatibilityGate.checkEvolution(subject, mode, schema, released);
        ObjectNode result = JSON.createObjectNode().put("is_compatible", violations.isEmpty());
        if (verbose) {
            ArrayNode messages = result.putArray("messages");
            violations.forEach(v -> messages.add(v.toString()));
        }
        return ok(result);
    }

    private Result getConfig(String subject, boolean defaultToGlobal) {
        if (subject == null) {
            return ok(JSON.createObjectNode().put("compatibilityLevel", globalMode.name()));
        }
        CompatibilityMode mode = subjectModes.get(subject);
        if (mode == null && !defaultToGlobal) {
            return error(
                    404,
                    40408,
                    "Subject '"
                            + subject
                            + "' does not have subject-level compatibility configured");
        }
        return ok(
                JSON.createObjectNode()
                        .put("compatibilityLevel", (mode == null ? globalMode : mode).name()));
    }

    private Result putConfig(String subject, JsonNode body) {
        String level =
                body == null || body.get("compatibility") == null
                        ? ""
                        : body.get("compatibility").asText();
        CompatibilityMode mode;
        try {
            mode = CompatibilityMode.valueOf(level.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(42203, "Invalid compatibility level: '" + level + "'");
        }
        setCompatibility(subject, mode);
        return ok(JSON.createObjectNode().put("compatibility", mode.name()));
    }

    private ObjectNode describe(String subject, int version, int id) {
        return JSON.createObjectNode()
                .put("subject", subject)
                .put("version", version)
                .put("id", id)
                .put("schema", schemasById.get(id).toString());
    }

    private CompatibilityMode modeOf(String subject) {
        return subjectModes.getOrDefault(subject, globalMode);
    }

    private SortedMap<Integer, Schema> schemasOf(SortedMap<Integer, Integer> versions) {
        SortedMap<Integer, Schema> result = new TreeMap<>();
        versions.forEach((version, id) -> result.put(version, schemasById.get(id)));
        return result;
    }

    private static Schema parseSchema(JsonNode body) {
        if (body == null || body.get("schema") == null) {
            throw new BadRequest(42201, "Request has no 'schema'");
        }
        JsonNode type = body.get("schemaType");
        if (type != null && !type.isNull() && !type.asText().equals("AVRO")) {
            throw new BadRequest(42201, "Only AVRO schemas are supported, not " + type.asText());
        }
        JsonNode references = body.get("references");
        if (references != null && references.isArray() && references.size() > 0) {
            throw new BadRequest(42201, "Schema references are not supported");
        }
        try {
            return new Schema.Parser().parse(body.get("schema").asText());
        } catch (SchemaParseException e) {
            throw new BadRequest(42201, "Invalid schema: " + e.getMessage());
        }
    }

    private static int parseInt(String text, int errorCode) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new BadRequest(errorCode, "Not a number: '" + text + "'");
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> result = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                result.put(
                        URLDecoder.decode(key, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            }
        }
        return result;
    }

    private static void respond(HttpExchange exchange, Result result) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(result.body);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(result.status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Result ok(JsonNode body) {
        return new Result(200, body);
    }

    private static Result error(int status, int code, String message) {
        return new Result(
                status, JSON.createObjectNode().put("error_code", code).put("message", message));
    }

    private static final class Result {
        final int status;
        final JsonNode body;

        Result(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }
    }

    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int errorCode;

        BadRequest(int errorCode, String message) {
            super(message);
            this.errorCode = errorCode;
        }
    }

    /** Builder of {@link EmbeddedSchemaRegistry}. */
    @PublicEvolving
    public static final class Builder {
        private String username;
        private String password;
        private boolean tls;

        private Builder() {}

        /**
         * Serves HTTPS with a fresh self-signed certificate for 127.0.0.1; see {@code
         * truststore()}.
         */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** Requires HTTP basic authentication with these credentials (401 otherwise). */
        public Builder basicAuth(String username, String password) {
            this.username = Objects.requireNonNull(username, "username");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public EmbeddedSchemaRegistry build() {
            return new EmbeddedSchemaRegistry(this);
        }
    }
}
