package io.pipelinekit.core.registry.internal;

import io.pipelinekit.core.registry.RegisteredSchema;
import io.pipelinekit.core.registry.SchemaRegistryClient;
import io.pipelinekit.core.registry.SchemaRegistryException;
import io.pipelinekit.core.registry.SchemaRegistryException.Reason;
import io.pipelinekit.core.registry.SchemaRegistryOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.ReadableConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link SchemaRegistryClient} over the registry's REST API on the JDK HTTP client. */
@Internal
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final List<String> baseUrls;
    private final String authorization;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Map<Integer, Schema> schemasById;
    private final Map<String, Integer> idsBySubjectAndSchema;
    // The URL that answered last: failover does not start at a dead first URL every time.
    private volatile int preferredUrl;

    private RestSchemaRegistryClient(ReadableConfig config) {
        validate(config);
        this.baseUrls = parseUrls(config);
        String user = config.get(SchemaRegistryOptions.BASIC_AUTH_USERNAME);
        String password = config.get(SchemaRegistryOptions.BASIC_AUTH_PASSWORD);
        this.authorization =
                user == null
                        ? null
                        : "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(
                                                (user + ":" + password)
                                                        .getBytes(StandardCharsets.UTF_8));
        this.requestTimeout = config.get(SchemaRegistryOptions.REQUEST_TIMEOUT);
        this.maxAttempts = config.get(SchemaRegistryOptions.MAX_ATTEMPTS);
        this.initialBackoff = config.get(SchemaRegistryOptions.INITIAL_BACKOFF);
        this.maxBackoff = config.get(SchemaRegistryOptions.MAX_BACKOFF);
        int capacity = config.get(SchemaRegistryOptions.CACHE_CAPACITY);
        this.schemasById = Collections.synchronizedMap(lru(capacity));
        this.idsBySubjectAndSchema = Collections.synchronizedMap(lru(capacity));
        HttpClient.Builder builder =
                HttpClient.newBuilder()
                        .connectTimeout(requestTimeout)
                        .version(HttpClient.Version.HTTP_1_1);
        String truststore = config.get(SchemaRegistryOptions.TRUSTSTORE_LOCATION);
        if (truststore != null) {
            builder.sslContext(
                    sslContext(
                            truststore,
                            config.get(SchemaRegistryOptions.TRUSTSTORE_TYPE),
                            config.get(SchemaRegistryOptions.TRUSTSTORE_PASSWORD)));
        }
        this.http = builder.build();
    }

    public static RestSchemaRegistryClient create(ReadableConfig config) {
        return new RestSchemaRegistryClient(config);
    }

    /**
     * Checks the options without connecting or loading the trust store (which may exist only on the
     * task managers), so that a job fails at construction with a clear message.
     */
    public static void validate(ReadableConfig config) {
        parseUrls(config);
        checkAuth(config);
        checkPositive(config, SchemaRegistryOptions.MAX_ATTEMPTS);
        checkPositive(config, SchemaRegistryOptions.CACHE_CAPACITY);
        checkPositive(config, SchemaRegistryOptions.REQUEST_TIMEOUT);
        checkPositive(config, SchemaRegistryOptions.INITIAL_BACKOFF);
        checkPositive(config, SchemaRegistryOptions.MAX_BACKOFF);
    }

    private static List<String> parseUrls(ReadableConfig config) {
        String urls =
                config.getOptional(SchemaRegistryOptions.URL)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "The Avro wire format needs a schema registry: set "
                                                        + SchemaRegistryOptions.URL.key()
                                                        + " (e.g. http://registry:8081)."));
        List<String> result = new ArrayList<>();
        for (String url : urls.split(",")) {
            String trimmed = url.trim();
            if (!trimmed.startsWith("http://") && !trimmed.startsWith("https://")) {
                throw new IllegalArgumentException(
                        SchemaRegistryOptions.URL.key()
                                + " must be http:// or https:// URLs, got '"
                                + trimmed
                                + "'");
            }
            result.add(
                    trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
        }
        return result;
    }

    private static void checkAuth(ReadableConfig config) {
        if ((config.get(SchemaRegistryOptions.BASIC_AUTH_USERNAME) == null)
                != (config.get(SchemaRegistryOptions.BASIC_AUTH_PASSWORD) == null)) {
            throw new IllegalArgumentException(
                    "Basic authentication needs both "
                            + SchemaRegistryOptions.BASIC_AUTH_USERNAME.key()
                            + " and "
                            + SchemaRegistryOptions.BASIC_AUTH_PASSWORD.key());
        }
    }

    private static void checkPositive(
            ReadableConfig config, org.apache.flink.configuration.ConfigOption<?> option) {
        Object value = config.get(option);
        boolean positive =
                value instanceof Integer
                        ? (Integer) value > 0
                        : !((Duration) value).isNegative() && !((Duration) value).isZero();
        if (!positive) {
            throw new IllegalArgumentException(option.key() + " must be positive, was " + value);
        }
    }

    @Override
    public int register(String subject, Schema schema) throws IOException {
        String key = subject + "\u0000" + schema;
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer =
                call(
                        "POST",
                        "/subjects/" + encode(subject) + "/versions",
                        schemaBody(schema),
                        subject);
        int id = required(answer, "id").asInt();
        idsBySubjectAndSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public int lookupId(String subject, Schema schema) throws IOException {
        String key = subject + "\u0000" + schema;
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer;
        try {
            answer = call("POST", "/subjects/" + encode(subject), schemaBody(schema), subject);
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == 40403 || e.errorCode() == 40401) {
                throw new SchemaRegistryException(
                        Reason.SCHEMA_NOT_REGISTERED,
                        "Schema "
                                + schema.getFullName()
                                + " is not registered under subject '"
                                + subject
                                + "' and "
                                + SchemaRegistryOptions.AUTO_REGISTER.key()
                                + " is false: register it first (e.g. in the deployment pipeline).",
                        e.httpStatus(),
                        e.errorCode(),
                        e);
            }
            throw e;
        }
        int id = required(answer, "id").asInt();
        idsBySubjectAndSchema.put(key, id);
        return id;
    }

    @Override
    public Schema schemaById(int id) throws IOException {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer;
        try {
            answer = call("GET", "/schemas/ids/" + id, null, null);
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == 40403 || e.httpStatus() == 404) {
                throw new SchemaRegistryException(
                        Reason.UNKNOWN_SCHEMA_ID,
                        "The registry knows no schema with id "
                                + id
                                + ": the record was written against another registry, or the"
                                + " schema was deleted.",
                        e.httpStatus(),
                        e.errorCode(),
                        e);
            }
            throw e;
        }
        Schema schema = parse(required(answer, "schema").asText());
        schemasById.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema latest(String subject) throws IOException {
        return registered(
                call("GET", "/subjects/" + encode(subject) + "/versions/latest", null, subject));
    }

    @Override
    public RegisteredSchema version(String subject, int version) throws IOException {
        return registered(
                call(
                        "GET",
                        "/subjects/" + encode(subject) + "/versions/" + version,
                        null,
                        subject));
    }

    @Override
    public List<Integer> versions(String subject) throws IOException {
        List<Integer> versions = new ArrayList<>();
        call("GET", "/subjects/" + encode(subject) + "/versions", null, subject)
                .forEach(v -> versions.add(v.asInt()));
        return versions;
    }

    @Override
    public List<String> subjects() throws IOException {
        List<String> subjects = new ArrayList<>();
        call("GET", "/subjects", null, null).forEach(s -> subjects.add(s.asText()));
        return subjects;
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) throws IOException {
        return call(
                        "POST",
                        "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                        schemaBody(schema),
                        subject)
                .get("is_compatible")
                .asBoolean();
    }

    @Override
    public String compatibility(String subject) throws IOException {
        return call("GET", "/config/" + encode(subject) + "?defaultToGlobal=true", null, subject)
                .get("compatibilityLevel")
                .asText();
    }

    @Override
    public void setCompatibility(String subject, String level) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        call("PUT", "/config/" + encode(subject), body.toString(), subject);
    }

    private RegisteredSchema registered(JsonNode answer) throws IOException {
        return new RegisteredSchema(
                required(answer, "subject").asText(),
                required(answer, "version").asInt(),
                required(answer, "id").asInt(),
                parse(required(answer, "schema").asText()));
    }

    /**
     * One REST call, retried with exponential backoff while the registry is unreachable or answers
     * 5xx/429, trying each base URL in turn.
     */
    private JsonNode call(String method, String path, String body, String subject)
            throws SchemaRegistryException, InterruptedIOException {
        Duration backoff = initialBackoff;
        Exception lastFailure = null;
        String lastAnswer = null;
        long started = System.nanoTime();
        int first = preferredUrl;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            int urlIndex = (first + attempt - 1) % baseUrls.size();
            String base = baseUrls.get(urlIndex);
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(URI.create(base + path))
                            .timeout(requestTimeout)
                            .header("Content-Type", CONTENT_TYPE)
                            .header("Accept", CONTENT_TYPE + ", application/json");
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            request.method(
                    method,
                    body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            try {
                HttpResponse<String> response =
                        http.send(
                                request.build(),
                                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int status = response.statusCode();
                if (status == 200) {
                    preferredUrl = urlIndex;
                    return parseAnswer(method, base + path, response.body());
                }
                if (status >= 500 || status == 429) {
                    lastAnswer = "HTTP " + status + " " + response.body();
                } else {
                    throw answerError(method, base + path, status, response.body(), subject);
                }
            } catch (SchemaRegistryException e) {
                // A definite answer (4xx): retrying would get the same.
                throw e;
            } catch (javax.net.ssl.SSLHandshakeException e) {
                // Certificates do not change between attempts.
                throw new SchemaRegistryException(
                        Reason.REGISTRY_UNAVAILABLE,
                        "TLS handshake with the schema registry "
                                + base
                                + " failed: "
                                + e.getMessage()
                                + ". Point "
                                + SchemaRegistryOptions.TRUSTSTORE_LOCATION.key()
                                + " at a trust store with the registry's CA.",
                        -1,
                        -1,
                        e);
            } catch (IOException e) {
                lastFailure = e;
            } catch (InterruptedException e) {
                // Cancellation or failover of the task: not a property of the record.
                Thread.currentThread().interrupt();
                InterruptedIOException interrupted =
                        new InterruptedIOException("Interrupted while calling the schema registry");
                interrupted.initCause(e);
                throw interrupted;
            }
            boolean anotherUrlLeft = attempt % baseUrls.size() != 0;
            if (attempt < maxAttempts && anotherUrlLeft) {
                LOG.warn(
                        "Schema registry {} failed: {}; trying the next URL",
                        base,
                        lastAnswer != null ? lastAnswer : lastFailure);
            } else if (attempt < maxAttempts) {
                LOG.warn(
                        "Schema registry call {} {} failed (attempt {}/{}): {}; retrying in {} ms",
                        method,
                        base + path,
                        attempt,
                        maxAttempts,
                        lastAnswer != null ? lastAnswer : lastFailure,
                        backoff.toMillis());
                sleep(backoff);
                backoff =
                        backoff.multipliedBy(2).compareTo(maxBackoff) > 0
                                ? maxBackoff
                                : backoff.multipliedBy(2);
            }
        }
        throw new SchemaRegistryException(
                Reason.REGISTRY_UNAVAILABLE,
                "Schema registry "
                        + baseUrls
                        + " unavailable: "
                        + method
                        + " "
                        + path
                        + " failed "
                        + maxAttempts
                        + " times in "
                        + (System.nanoTime() - started) / 1_000_000
                        + " ms (last: "
                        + (lastAnswer != null ? lastAnswer : lastFailure)
                        + "). Check "
                        + SchemaRegistryOptions.URL.key()
                        + " and that the registry is up; records that need it are dead-lettered"
                        + " with reason REGISTRY_UNAVAILABLE.",
                -1,
                -1,
                lastFailure);
    }

    private static SchemaRegistryException answerError(
            String method, String url, int status, String body, String subject) {
        int errorCode = -1;
        String message = body;
        try {
            JsonNode error = JSON.readTree(body);
            if (error.has("error_code")) {
                errorCode = error.get("error_code").asInt();
            }
            if (error.has("message")) {
                message = error.get("message").asText();
            }
        } catch (IOException notJson) {
            // Keep the raw body as the message.
        }
        Reason reason;
        if (status == 401 || status == 403) {
            reason = Reason.UNAUTHORIZED;
            message +=
                    ". Check "
                            + SchemaRegistryOptions.BASIC_AUTH_USERNAME.key()
                            + " and its password.";
        } else if (status == 409) {
            reason = Reason.INCOMPATIBLE_SCHEMA;
        } else if (errorCode == 40401 || errorCode == 40402) {
            reason = Reason.SUBJECT_NOT_FOUND;
        } else if (errorCode == 40403) {
            reason = Reason.UNKNOWN_SCHEMA_ID;
        } else {
            reason = Reason.REGISTRY_ERROR;
        }
        return new SchemaRegistryException(
                reason,
                method
                        + " "
                        + url
                        + (subject == null ? "" : " (subject " + subject + ")")
                        + " failed: HTTP "
                        + status
                        + ": "
                        + message,
                status,
                errorCode,
                null);
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static Schema parse(String text) throws SchemaRegistryException {
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw new SchemaRegistryException(
                    Reason.REGISTRY_ERROR,
                    "The schema registry returned a schema Avro cannot parse: " + e.getMessage(),
                    200,
                    -1,
                    e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(Duration duration) throws InterruptedIOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted =
                    new InterruptedIOException(
                            "Interrupted while waiting to retry the schema registry");
            interrupted.initCause(e);
            throw interrupted;
        }
    }

    /** A 200 answer that is not the JSON the API defines (e.g. a proxy's HTML page). */
    private static JsonNode parseAnswer(String method, String url, String body)
            throws SchemaRegistryException {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new SchemaRegistryException(
                    Reason.REGISTRY_ERROR,
                    method
                            + " "
                            + url
                            + " answered 200 with a body that is not JSON (a proxy in between?): "
                            + excerpt(body),
                    200,
                    -1,
                    e);
        }
    }

    /** A field the API requires in an answer. */
    private static JsonNode required(JsonNode answer, String field) throws SchemaRegistryException {
        JsonNode value = answer.get(field);
        if (value == null || value.isNull()) {
            throw new SchemaRegistryException(
                    Reason.REGISTRY_ERROR,
                    "The schema registry's answer has no '"
                            + field
                            + "': "
                            + excerpt(answer.toString()),
                    200,
                    -1,
                    null);
        }
        return value;
    }

    private static String excerpt(String body) {
        return body == null ? "" : body.length() <= 200 ? body : body.substring(0, 200) + "...";
    }

    private static <K, V> Map<K, V> lru(int capacity) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    private static SSLContext sslContext(String location, String type, String password) {
        try (InputStream in = Files.newInputStream(Paths.get(location))) {
            KeyStore trustStore = KeyStore.getInstance(type);
            trustStore.load(in, password == null ? null : password.toCharArray());
            TrustManagerFactory trust =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "Cannot load the schema registry trust store "
                            + location
                            + " ("
                            + type
                            + "): "
                            + e.getMessage()
                            + ". Check "
                            + SchemaRegistryOptions.TRUSTSTORE_LOCATION.key()
                            + ", its type and password.",
                    e);
        }
    }
}
