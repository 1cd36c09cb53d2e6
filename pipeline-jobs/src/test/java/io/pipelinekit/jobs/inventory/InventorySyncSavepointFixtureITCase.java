package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.jobs.inventory.internal.TargetSchema;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.schemas.inventory.StockLevel;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.SavepointFixtures;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.kafka.TopicPositions;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.postgresql.PGConnection;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upgrade safety for the whole inventory-sync job: every build restores the savepoint each release
 * took of it (the CDC source's stream split and LSN, the changelog sink's transactions, the
 * changelog source's offsets, stock per product and warehouse) on fresh PostgreSQL and Kafka
 * rebuilt as the savepoint knew them, changes the source, and requires each change exactly once in
 * the changelog (no snapshot again), the target equal to the source, and product totals that
 * include the warehouses only the restored state knew.
 */
class InventorySyncSavepointFixtureITCase {

    /** Every release whose savepoints deployments may still restore from. */
    static final List<String> VERSIONS = List.of("0.2");

    static final SavepointFixtures FIXTURES =
            SavepointFixtures.in(Path.of("src/test/resources/savepoint-fixtures/inventory-sync"));

    /** The tables a fixture keeps, per database, in the order they are loaded. */
    private static final List<String> SOURCE_TABLES = List.of("warehouses", "products", "stock");

    private static final List<String> TARGET_TABLES = List.of("stock_levels");

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    /** Private services: the fixture's names are fixed, and its LSNs are this server's. */
    private EmbeddedKafkaBroker kafka;

    private EmbeddedPostgresServer postgres;

    @BeforeEach
    void startServices() {
        kafka = EmbeddedKafkaBroker.builder().build().start();
        postgres = EmbeddedPostgresServer.builder().build().start();
    }

    @AfterEach
    void stopServices() {
        postgres.close();
        kafka.close();
    }

    @ParameterizedTest(name = "savepoint of {0}")
    @FieldSource("VERSIONS")
    void restoresTheSavepointOfEveryRelease(String version) throws Exception {
        SavepointFixtures.Fixture fixture = FIXTURES.read(version);
        PostgresDatabase source = postgres.createDatabaseNamed(fixture.fact("source.database"));
        PostgresDatabase target = postgres.createDatabaseNamed(fixture.fact("target.database"));
        try (Connection db = source.connect()) {
            TargetSchema.run(db, "inventory/source-schema.sql");
            load(db, SOURCE_TABLES, fixture);
        }
        try (Connection db = target.connect()) {
            TargetSchema.run(db, "inventory/target-schema.sql");
            load(db, TARGET_TABLES, fixture);
        }
        // Changes after the restore must come after the savepoint's LSN: the source skips what
        // it has already captured.
        String savepointLsn = fixture.fact("source.lsn");
        advanceWalBeyond(source, savepointLsn);
        Configuration config = config(fixture.fact("name"), source, target);
        TopicPositions.recreate(kafka, fixture.facts());
        createOutputTopics(config);

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        InventorySyncJob.build(env, config);
        JobID job =
                FLINK.cluster()
                        .submitRestoring(env, InventorySyncJob.NAME, fixture.savepointPath())
                        .getJobID();
        try (InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 5)) {
            FLINK.cluster().awaitRunning(job, Duration.ofMinutes(2));
            workload.load().applyChanges(60);
            awaitInSync(config);
            Map<String, Long> sourceRows = stock(source, "stock");
            assertThat(stock(target, "stock_levels")).isEqualTo(sourceRows);

            // The changelog after the padding: each change once, in LSN order per key, and no
            // snapshot (a CDC source without its split state would read the table again).
            DeserializationSchema<InventoryChangeEvent> changeFormat =
                    deserializer(InventoryChangeEvent.class);
            List<InventoryChangeEvent> changes = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record :
                    kafka.readCommitted(config.get(InventorySyncOptions.CHANGELOG_TOPIC))) {
                if (!Arrays.equals(record.value(), TopicPositions.PADDING)) {
                    changes.add(changeFormat.deserialize(record.value()));
                }
            }
            assertThat(changes).hasSize((int) workload.changes());
            assertThat(changes)
                    .allSatisfy(
                            c ->
                                    assertThat(c.getOperation())
                                            .isNotEqualTo(ChangeOperation.SNAPSHOT));
            Map<String, Long> lastLsn = new HashMap<>();
            for (InventoryChangeEvent change : changes) {
                String key = change.getProductId() + "/" + change.getWarehouseId();
                Long previous = lastLsn.put(key, change.getLsn());
                assertThat(previous == null || previous < change.getLsn())
                        .as("changes of %s once and in LSN order", key)
                        .isTrue();
            }

            // Totals come from the restored stock state. For a product changed in one warehouse
            // only since the restore, the level of its last change carries the total over all
            // its warehouses, the others known from the savepoint alone. (Across warehouses the
            // changelog's partitions do not keep LSN order, and a delete's level is a tombstone.)
            Map<String, InventoryChangeEvent> lastChange = new TreeMap<>();
            Map<String, Set<String>> warehousesChanged = new HashMap<>();
            for (InventoryChangeEvent change : changes) {
                lastChange.merge(
                        change.getProductId(), change, (a, b) -> a.getLsn() >= b.getLsn() ? a : b);
                warehousesChanged
                        .computeIfAbsent(change.getProductId(), p -> new HashSet<>())
                        .add(change.getWarehouseId());
            }
            lastChange
                    .values()
                    .removeIf(
                            c ->
                                    c.getOperation() == ChangeOperation.DELETE
                                            || warehousesChanged.get(c.getProductId()).size() > 1);
            DeserializationSchema<StockLevel> levelFormat = deserializer(StockLevel.class);
            Map<String, StockLevel> levelOfLastChange = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> record :
                    kafka.readCommitted(config.get(InventorySyncOptions.STOCK_LEVELS_TOPIC))) {
                if (record.value() != null) {
                    StockLevel level = levelFormat.deserialize(record.value());
                    InventoryChangeEvent last = lastChange.get(level.getProductId());
                    if (last != null && last.getLsn() == level.getVersion()) {
                        levelOfLastChange.put(level.getProductId(), level);
                    }
                }
            }
            Map<String, Long> totals = new TreeMap<>();
            sourceRows.forEach(
                    (key, quantity) ->
                            totals.merge(key.substring(0, key.indexOf('/')), quantity, Long::sum));
            assertThat(levelOfLastChange.keySet()).isEqualTo(lastChange.keySet());
            long fromState = 0;
            for (StockLevel level : levelOfLastChange.values()) {
                assertThat(level.getProductTotal())
                        .as("total of %s", level.getProductId())
                        .isEqualTo(totals.get(level.getProductId()));
                if (level.getProductTotal() != level.getQuantity()) {
                    fromState++;
                }
            }
            assertThat(fromState)
                    .as("totals that need other warehouses' restored stock")
                    .isPositive();
            assertThat(kafka.readCommitted(config.get(DeadLetterOptions.TOPIC)))
                    .as("no source resumed before its savepoint offsets (padding dead-lettered)")
                    .isEmpty();
            System.out.printf(
                    "inventory-sync restored the savepoint of %s: %d changes captured once after"
                            + " it, target equals source, %d of %d product totals from restored"
                            + " state%n",
                    version, changes.size(), fromState, levelOfLastChange.size());
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    /**
     * Writes this build's fixture: {@code ./mvnw -pl pipeline-jobs verify -Dtest=none
     * -Dit.test=InventorySyncSavepointFixtureITCase#writeFixture -Dfixtures.write=<version>}.
     */
    @Test
    @EnabledIfSystemProperty(named = SavepointFixtures.WRITE_PROPERTY, matches = ".+")
    void writeFixture() throws Exception {
        String version = SavepointFixtures.versionToWrite().orElseThrow();
        String name = "fixture_v" + version.replaceAll("[^A-Za-z0-9]", "_");
        PostgresDatabase source = postgres.createDatabaseNamed(name + "_source");
        PostgresDatabase target = postgres.createDatabaseNamed(name + "_target");
        Configuration config = config(name, source, target);
        String changelog = config.get(InventorySyncOptions.CHANGELOG_TOPIC);
        kafka.createTopics(new NewTopic(changelog, 4, (short) 1));
        createOutputTopics(config);

        String savepoint;
        try (InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 3)
                        .seed(40, 3)) {
            StreamExecutionEnvironment env = FLINK.cluster().environment(2);
            InventorySyncJob.build(env, config);
            JobID job = FLINK.cluster().submit(env, InventorySyncJob.NAME).getJobID();
            awaitInSync(config);
            workload.applyChanges(100);
            awaitInSync(config);
            savepoint = FLINK.cluster().stopWithSavepoint(job, Duration.ofMinutes(2));
        }

        Map<String, String> facts = new TreeMap<>(TopicPositions.record(kafka, changelog));
        facts.put("name", name);
        facts.put("source.database", source.name());
        facts.put("target.database", target.name());
        facts.put("source.lsn", queryString(source, "SELECT pg_current_wal_lsn()::text"));
        facts.put("written-by", "pipeline-kit " + version + " (Flink 1.20, parallelism 2)");
        Map<String, byte[]> files = new LinkedHashMap<>();
        dump(source, SOURCE_TABLES, files);
        dump(target, TARGET_TABLES, files);
        Path written = FIXTURES.write(version, savepoint, facts, files);
        System.out.printf("Wrote the savepoint fixture %s: %s%n", written, facts);
    }

    private Configuration config(String name, PostgresDatabase source, PostgresDatabase target) {
        Configuration config =
                InventoryTestConfig.of(
                        kafka.bootstrapServers(),
                        REGISTRY.registry().url(),
                        FLINK.cluster().checkpointDirectory(),
                        name,
                        source,
                        target);
        // The savepoint holds these names: topics with '-' where the slot has '_'.
        String topics = name.replace('_', '-');
        config.setString("kafka.source.group-id", "sync-" + topics);
        config.setString("dlq.topic", "inventory-dlq-" + topics);
        config.set(InventorySyncOptions.CHANGELOG_TOPIC, "inventory-changes-" + topics);
        config.set(InventorySyncOptions.STOCK_LEVELS_TOPIC, "inventory-levels-" + topics);
        config.set(InventorySyncOptions.RECONCILE_INTERVAL, Duration.ofSeconds(5));
        config.set(InventorySyncOptions.KNOWN_WAREHOUSES, List.of("W01", "W02", "W03"));
        return config;
    }

    private void createOutputTopics(Configuration config) {
        kafka.createTopics(
                new NewTopic(config.get(InventorySyncOptions.STOCK_LEVELS_TOPIC), 4, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact")),
                new NewTopic(config.get(DeadLetterOptions.TOPIC), 1, (short) 1));
    }

    private static void awaitInSync(Configuration config) throws Exception {
        ReconciliationReport report =
                Reconciler.fromConfig(config).awaitInSync(Duration.ofMinutes(3));
        assertThat(report.inSync()).as("source and target agree:%n%s", report.toTable()).isTrue();
    }

    /** Generates WAL (a segment switch at a time) until the server is past {@code lsn}. */
    private static void advanceWalBeyond(PostgresDatabase db, String lsn) throws Exception {
        try (Connection connection = db.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE wal_filler (n int)");
            for (int i = 0; i < 1000; i++) {
                try (ResultSet rs =
                        statement.executeQuery(
                                "SELECT pg_current_wal_lsn() > '" + lsn + "'::pg_lsn")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        statement.execute("DROP TABLE wal_filler");
                        return;
                    }
                }
                statement.execute("INSERT INTO wal_filler VALUES (1)");
                statement.execute("SELECT pg_switch_wal()");
            }
        }
        throw new IllegalStateException("WAL did not pass " + lsn + " after 1000 segments");
    }

    private static void dump(PostgresDatabase db, List<String> tables, Map<String, byte[]> files)
            throws Exception {
        try (Connection connection = db.connect()) {
            for (String table : tables) {
                ByteArrayOutputStream csv = new ByteArrayOutputStream();
                connection
                        .unwrap(PGConnection.class)
                        .getCopyAPI()
                        .copyOut(
                                "COPY (SELECT * FROM "
                                        + table
                                        + " ORDER BY 1, 2) TO STDOUT (FORMAT csv, HEADER)",
                                csv);
                files.put(table + ".csv", csv.toByteArray());
            }
        }
    }

    private static void load(
            Connection connection, List<String> tables, SavepointFixtures.Fixture fixture)
            throws Exception {
        for (String table : tables) {
            connection
                    .unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn(
                            "COPY " + table + " FROM STDIN (FORMAT csv, HEADER)",
                            new ByteArrayInputStream(fixture.file(table + ".csv")));
        }
    }

    private static Map<String, Long> stock(PostgresDatabase db, String table) throws Exception {
        try (Connection connection = db.connect()) {
            return InventoryWorkload.stock(connection, table);
        }
    }

    private static String queryString(PostgresDatabase db, String query) throws Exception {
        try (Connection connection = db.connect();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static <T extends SpecificRecord> DeserializationSchema<T> deserializer(Class<T> type)
            throws Exception {
        Configuration registry = new Configuration();
        registry.setString("schema-registry.url", REGISTRY.registry().url());
        DeserializationSchema<T> deserializer = ConfluentAvro.deserializer(type, registry);
        deserializer.open(null);
        return deserializer;
    }
}
