package io.pipelinekit.jobs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the shaded job jar that {@code flink run} gets: Flink CDC's patched Debezium classes win
 * over Debezium's own, and nothing the cluster provides or that only tests need is inside.
 */
class ShadedJobJarITCase {

    /**
     * The same 14 classes the pom's banDuplicateClasses rule whitelists, inner classes included.
     */
    private static final List<String> CDC_OVERRIDES_OF_DEBEZIUM =
            List.of(
                    "io/debezium/connector/postgresql/PostgresStreamingChangeEventSource$PgConnectionSupplier.class",
                    "io/debezium/connector/postgresql/PostgresStreamingChangeEventSource.class",
                    "io/debezium/connector/postgresql/connection/Lsn.class",
                    "io/debezium/connector/postgresql/connection/PostgresConnection$PostgresValueConverterBuilder.class",
                    "io/debezium/connector/postgresql/connection/PostgresConnection.class",
                    "io/debezium/connector/postgresql/connection/PostgresReplicationConnection$1.class",
                    "io/debezium/connector/postgresql/connection/PostgresReplicationConnection$2.class",
                    "io/debezium/connector/postgresql/connection/PostgresReplicationConnection$ReplicationConnectionBuilder.class",
                    "io/debezium/connector/postgresql/connection/PostgresReplicationConnection.class",
                    "io/debezium/embedded/EmbeddedEngineChangeEvent.class",
                    "io/debezium/relational/HistorizedRelationalDatabaseConnectorConfig.class",
                    "io/debezium/relational/RelationalChangeRecordEmitter$1.class",
                    "io/debezium/relational/RelationalChangeRecordEmitter.class",
                    "io/debezium/relational/RelationalTableFilters.class");

    @Test
    void cdcPatchesOfDebeziumWin() throws IOException {
        try (JarFile shaded = new JarFile(jar("shaded.jar").toFile());
                JarFile cdcPostgres = new JarFile(jar("cdc.postgres.jar").toFile());
                JarFile cdcDebezium = new JarFile(jar("cdc.debezium.jar").toFile())) {
            for (String clazz : CDC_OVERRIDES_OF_DEBEZIUM) {
                JarFile origin = cdcPostgres.getEntry(clazz) != null ? cdcPostgres : cdcDebezium;
                assertThat(origin.getEntry(clazz)).as("%s in a Flink CDC jar", clazz).isNotNull();
                assertThat(bytes(shaded, clazz)).as(clazz).isEqualTo(bytes(origin, clazz));
            }
        }
    }

    @Test
    void containsTheConnectorsButNothingTheClusterOrTestsProvide() throws IOException {
        try (JarFile shaded = new JarFile(jar("shaded.jar").toFile())) {
            List<String> entries =
                    shaded.stream().map(e -> e.getName()).collect(Collectors.toList());

            assertThat(entries)
                    .contains(
                            "org/apache/flink/cdc/connectors/postgres/source/PostgresSourceBuilder.class",
                            "org/apache/flink/connector/kafka/source/KafkaSource.class",
                            "io/pipelinekit/schemas/payments/PaymentTransaction.class",
                            "io/pipelinekit/core/dlq/DeadLetters.class",
                            "io/pipelinekit/core/dlq/DeadLetterReplay.class",
                            // The replay tool talks to Kafka with the bundled client.
                            "org/apache/kafka/clients/producer/KafkaProducer.class");
            assertThat(entries)
                    .noneMatch(e -> e.startsWith("org/apache/flink/streaming/api/environment/"))
                    .noneMatch(e -> e.startsWith("org/apache/flink/api/common/functions/"))
                    .noneMatch(e -> e.startsWith("org/apache/flink/table/api/"))
                    .noneMatch(e -> e.startsWith("org/apache/log4j/"))
                    .noneMatch(e -> e.startsWith("org/apache/logging/log4j/"))
                    .noneMatch(e -> e.startsWith("org/slf4j/"))
                    .noneMatch(e -> e.startsWith("io/pipelinekit/testkit/"))
                    .noneMatch(e -> e.startsWith("org/junit/"))
                    .noneMatch(e -> e.startsWith("org/testcontainers/"));
        }
    }

    private static Path jar(String property) {
        String value = System.getProperty(property);
        assertThat(value).as("system property %s (set by the build)", property).isNotBlank();
        Path path = Paths.get(value);
        assertThat(Files.isRegularFile(path)).as("%s exists", path).isTrue();
        return path;
    }

    private static byte[] bytes(JarFile jar, String entry) throws IOException {
        assertThat(jar.getEntry(entry)).as("%s in %s", entry, jar.getName()).isNotNull();
        try (InputStream in = jar.getInputStream(jar.getEntry(entry))) {
            return in.readAllBytes();
        }
    }
}
