package io.pipelinekit.core.sink.postgres;

import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.dlq.DeadLetterOutput;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterSink;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.StockLevel;
import io.pipelinekit.testkit.flink.FailOnceAfterCheckpoint;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.SequenceSource;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.PostgresExtension;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The PostgreSQL upsert sink on a MiniCluster (parallelism 2) against a real PostgreSQL: replays
 * and out-of-order versions, a failure after a completed checkpoint, a poison row, and connections
 * killed while it writes.
 */
class PostgresUpsertSinkITCase {

    private static final int KEYS = 400;

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();
    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @ParameterizedTest
    @EnumSource(DeleteMode.class)
    void replaysAndOutOfOrderVersionsLeaveTheTableOfOneInOrderRun(DeleteMode mode)
            throws Exception {
        List<StockLevel> history = history(new Random(42));
        PostgresDatabase db = POSTGRES.database();
        String inOrder = createTable(db, "levels_in_order_" + mode, mode);
        String shuffled = createTable(db, "levels_shuffled_" + mode, mode);

        runBounded(history, sink(db, inOrder, mode, settings()), "in-order");
        List<StockLevel> outOfOrder = new ArrayList<>(history);
        Collections.shuffle(outOfOrder, new Random(7));
        runBounded(outOfOrder, sink(db, shuffled, mode, settings()), "shuffled");
        runBounded(history, sink(db, shuffled, mode, settings()), "replay");

        List<String> expected = expectedTable(history, mode);
        assertThat(tableContents(db, inOrder)).isEqualTo(expected);
        assertThat(tableContents(db, shuffled)).isEqualTo(expected);
        if (mode == DeleteMode.HARD_DELETE) {
            assertThat(expected.size()).isLessThan(KEYS); // deletes were part of the history
        } else {
            assertThat(expected).anyMatch(row -> row.endsWith("|t"));
        }
    }

    @Test
    void restartAfterACompletedCheckpointWritesEveryRecordOnceInEffect() throws Exception {
        PostgresDatabase db = POSTGRES.database();
        String table = createTable(db, "levels_restart", DeleteMode.HARD_DELETE);
        int records = 20_000;
        String injector = "pg-restart-" + System.nanoTime();

        Configuration job = new Configuration();
        job.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        job.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        job.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        StreamExecutionEnvironment env = FLINK.cluster().environment(2, job);
        env.enableCheckpointing(300, CheckpointingMode.EXACTLY_ONCE);
        DataStream<StockLevel> levels =
                env.fromSource(
                                SequenceSource.upTo(records, 2),
                                WatermarkStrategy.noWatermarks(),
                                "sequence")
                        .uid("sequence")
                        .map(new Throttle(200))
                        .uid("throttle")
                        .name("throttle")
                        .map(FailOnceAfterCheckpoint.<Long>after(injector, records / 3))
                        .uid("fail-once")
                        .name("fail-once")
                        .map(PostgresUpsertSinkITCase::level, new AvroTypeInfo<>(StockLevel.class))
                        .uid("to-level")
                        .name("to-level");
        sink(db, table, DeleteMode.HARD_DELETE, settings()).addTo(levels, "postgres-sink");
        JobID id = FLINK.cluster().submit(env, "pg-restart").getJobID();
        try {
            List<String> expected = expectedForSequence(records);
            awaitTable(db, table, expected, Duration.ofMinutes(2));
            assertThat(FailOnceAfterCheckpoint.failures(injector)).isEqualTo(1);
        } finally {
            FLINK.cluster().cancel(id, Duration.ofSeconds(30));
        }
    }

    @Test
    void aPoisonRowIsDeadLetteredAndTheOther999AreWrittenWithoutARestart() throws Exception {
        PostgresDatabase db = POSTGRES.database();
        String table = createTable(db, "levels_poison", DeleteMode.HARD_DELETE);
        String dlqTopic = KAFKA.service().createUniqueTopic("sink-dlq", 1);
        List<StockLevel> batch = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            StockLevel level = level((long) i);
            level.setProductId("p" + i); // 1000 distinct keys
            if (i == 421) {
                level.setQuantity(-5L); // violates CHECK (quantity >= 0)
            }
            batch.add(level);
        }
        Properties kafka = new Properties();
        kafka.setProperty("bootstrap.servers", KAFKA.service().bootstrapServers());
        IdempotentSinkSettings settings =
                IdempotentSinkSettings.builder(DeadLetterPolicy.builder("poison-test").build())
                        .maxBatchSize(1000)
                        .maxBufferedRecords(1000)
                        .maxBufferTime(Duration.ofMinutes(1))
                        .deadLetterOutput(DeadLetterOutput.kafka(kafka, dlqTopic))
                        .build();

        // Restarts disabled and a bounded input: any failure would fail the job, and the test.
        runBounded(batch, sink(db, table, DeleteMode.HARD_DELETE, settings), "poison");

        assertThat(db.queryForLong("SELECT count(*) FROM " + table)).isEqualTo(999);
        assertThat(db.queryForLong("SELECT count(*) FROM " + table + " WHERE product_id = 'p421'"))
                .isZero();
        List<ConsumerRecord<byte[], byte[]>> letters =
                KAFKA.service().readCommitted(dlqTopic, 1, Duration.ofSeconds(30));
        assertThat(letters).hasSize(1);
        DeadLetter letter = DeadLetterCodec.decode(letters.get(0).value());
        assertThat(letter.getStage()).isEqualTo(FailureStage.SINK);
        assertThat(letter.getReason()).isEqualTo("CHECK_VIOLATION");
        assertThat(letter.getErrorMessage()).contains("quantity_check");
        assertThat(letter.getPayloadEncoding())
                .isEqualTo("avro:" + StockLevel.getClassSchema().getFullName());
        assertThat(
                        new String(
                                letters.get(0)
                                        .headers()
                                        .lastHeader(DeadLetterSink.REASON_HEADER)
                                        .value(),
                                StandardCharsets.UTF_8))
                .isEqualTo("CHECK_VIOLATION");
    }

    @Test
    void tooLongValuesAreRejectedNotTruncated() throws Exception {
        PostgresDatabase db = POSTGRES.database();
        db.execute(
                "CREATE TABLE levels_short (product_id text NOT NULL, warehouse_id varchar(3) NOT"
                        + " NULL, quantity bigint, product_total bigint, version bigint NOT NULL,"
                        + " updated_at timestamptz, PRIMARY KEY (product_id, warehouse_id))");
        String dlqTopic = KAFKA.service().createUniqueTopic("sink-dlq", 1);
        Properties kafka = new Properties();
        kafka.setProperty("bootstrap.servers", KAFKA.service().bootstrapServers());
        StockLevel fits = level(1L);
        StockLevel tooLong = level(2L);
        tooLong.setWarehouseId("W-too-long");
        runBounded(
                List.of(fits, tooLong),
                sink(
                        db,
                        "levels_short",
                        DeleteMode.HARD_DELETE,
                        IdempotentSinkSettings.builder(DeadLetterPolicy.builder("short").build())
                                .deadLetterOutput(DeadLetterOutput.kafka(kafka, dlqTopic))
                                .build()),
                "too-long");

        assertThat(tableContents(db, "levels_short")).containsExactly(row(fits, false));
        DeadLetter letter =
                DeadLetterCodec.decode(
                        KAFKA.service()
                                .readCommitted(dlqTopic, 1, Duration.ofSeconds(30))
                                .get(0)
                                .value());
        assertThat(letter.getReason()).isEqualTo("VALUE_TOO_LONG");
    }

    @Test
    void connectionsKilledWhileWritingAreRetriedAndNothingIsLost() throws Exception {
        PostgresDatabase db = POSTGRES.database();
        String table = createTable(db, "levels_killed", DeleteMode.HARD_DELETE);
        int records = 30_000;
        Configuration job = new Configuration();
        job.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = FLINK.cluster().environment(2, job);
        env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
        IdempotentSinkSettings settings =
                IdempotentSinkSettings.builder(DeadLetterPolicy.builder("kill-test").build())
                        .maxBatchSize(100)
                        .maxBufferedRecords(200)
                        .maxBufferTime(Duration.ofMillis(50))
                        .retries(20, Duration.ofMillis(20), Duration.ofMillis(500))
                        .deadLetterOutput(new FailingDeadLetterOutput())
                        .build();
        DataStream<StockLevel> levels =
                env.fromSource(
                                SequenceSource.upTo(records, 2),
                                WatermarkStrategy.noWatermarks(),
                                "sequence")
                        .uid("sequence")
                        .map(new Throttle(100))
                        .uid("throttle")
                        .name("throttle")
                        .map(PostgresUpsertSinkITCase::level, new AvroTypeInfo<>(StockLevel.class))
                        .uid("to-level")
                        .name("to-level");
        sink(db, table, DeleteMode.HARD_DELETE, settings).addTo(levels, "postgres-sink");
        JobID id = FLINK.cluster().submit(env, "pg-kill").getJobID();
        int killed = 0;
        try {
            FLINK.cluster().awaitRunning(id, Duration.ofSeconds(60));
            for (int round = 0; round < 12; round++) {
                Thread.sleep(400);
                killed +=
                        (int)
                                db.queryForLong(
                                        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
                                            + " FROM pg_stat_activity WHERE application_name LIKE"
                                            + " 'pipelinekit-sink%') AS terminated");
            }
            awaitTable(db, table, expectedForSequence(records), Duration.ofMinutes(2));
        } finally {
            FLINK.cluster().cancel(id, Duration.ofSeconds(30));
        }
        assertThat(killed).as("sink connections terminated").isGreaterThan(5);
    }

    @Test
    void theTargetIsCheckedWithWhatToChange() throws Exception {
        PostgresDatabase db = POSTGRES.database();
        assertThatThrownBy(
                        () ->
                                sink(db, "missing_table", DeleteMode.HARD_DELETE, settings())
                                        .checkTarget())
                .hasMessageContaining("Table missing_table does not exist")
                .hasMessageContaining("as primary key");
        db.execute(
                "CREATE TABLE no_key (product_id text, warehouse_id text, quantity bigint,"
                        + " product_total bigint, version bigint, updated_at timestamptz)");
        assertThatThrownBy(
                        () -> sink(db, "no_key", DeleteMode.HARD_DELETE, settings()).checkTarget())
                .hasMessageContaining(
                        "no primary key or unique index on exactly [product_id, warehouse_id]")
                .hasMessageContaining(
                        "ALTER TABLE no_key ADD PRIMARY KEY (product_id, warehouse_id)");
        db.execute(
                "CREATE TABLE no_version (product_id text, warehouse_id text, quantity bigint,"
                        + " product_total bigint, updated_at timestamptz, PRIMARY KEY (product_id,"
                        + " warehouse_id))");
        assertThatThrownBy(
                        () ->
                                sink(db, "no_version", DeleteMode.HARD_DELETE, settings())
                                        .checkTarget())
                .hasMessageContaining("has no column(s) [version]");
    }

    // ---------------------------------------------------------------------------------------

    /** Versions 1..n of each key, random quantities, some keys deleted and some re-created. */
    private static List<StockLevel> history(Random random) {
        List<StockLevel> history = new ArrayList<>();
        for (int k = 0; k < KEYS; k++) {
            int versions = 1 + random.nextInt(6);
            for (int v = 1; v <= versions; v++) {
                boolean delete = v > 1 && random.nextInt(5) == 0;
                history.add(
                        StockLevel.newBuilder()
                                .setProductId("p" + k)
                                .setWarehouseId("w" + (k % 5))
                                .setQuantity(random.nextInt(1000))
                                .setProductTotal(random.nextInt(5000))
                                .setVersion(v * 100L + k)
                                .setDeleted(delete)
                                .setUpdatedAt(Instant.ofEpochSecond(1_700_000_000L + v))
                                .build());
            }
        }
        return history;
    }

    /** The reference model: the newest version of each key wins; deletes remove or flag it. */
    private static List<String> expectedTable(List<StockLevel> history, DeleteMode mode) {
        Map<String, StockLevel> newest = new TreeMap<>();
        for (StockLevel level : history) {
            newest.merge(
                    level.getProductId() + "|" + level.getWarehouseId(),
                    level,
                    (a, b) -> a.getVersion() >= b.getVersion() ? a : b);
        }
        List<String> rows = new ArrayList<>();
        for (StockLevel level : newest.values()) {
            if (mode == DeleteMode.HARD_DELETE && level.getDeleted()) {
                continue;
            }
            rows.add(row(level, mode == DeleteMode.SOFT_DELETE));
        }
        Collections.sort(rows);
        return rows;
    }

    private static String row(StockLevel level, boolean withDeleted) {
        return level.getProductId()
                + "|"
                + level.getWarehouseId()
                + "|"
                + level.getQuantity()
                + "|"
                + level.getProductTotal()
                + "|"
                + level.getVersion()
                + "|"
                + level.getUpdatedAt().getEpochSecond()
                + (withDeleted ? "|" + (level.getDeleted() ? "t" : "f") : "");
    }

    private static List<String> expectedForSequence(int records) {
        List<StockLevel> all = new ArrayList<>();
        for (long n = 0; n < records; n++) {
            all.add(level(n));
        }
        return expectedTable(all, DeleteMode.HARD_DELETE);
    }

    /** Sequence number n as version n of key n % KEYS. */
    static StockLevel level(Long n) {
        return StockLevel.newBuilder()
                .setProductId("p" + (n % KEYS))
                .setWarehouseId("w" + (n % 5))
                .setQuantity(n)
                .setProductTotal(n * 2)
                .setVersion(n)
                .setDeleted(false)
                .setUpdatedAt(Instant.ofEpochSecond(1_700_000_000L + n))
                .build();
    }

    private static String createTable(PostgresDatabase db, String name, DeleteMode mode) {
        String table = name.toLowerCase(java.util.Locale.ROOT);
        db.execute(
                "CREATE TABLE "
                        + table
                        + " (product_id text NOT NULL, warehouse_id text NOT NULL, quantity bigint"
                        + " CONSTRAINT quantity_check CHECK (quantity >= 0), product_total bigint,"
                        + " version bigint NOT NULL, updated_at timestamptz"
                        + (mode == DeleteMode.SOFT_DELETE ? ", deleted boolean NOT NULL" : "")
                        + ", PRIMARY KEY (product_id, warehouse_id))");
        return table;
    }

    private static PostgresUpsertSink<StockLevel> sink(
            PostgresDatabase db, String table, DeleteMode mode, IdempotentSinkSettings settings) {
        return PostgresUpsertSink.<StockLevel>builder()
                .jdbcUrl(db.jdbcUrl())
                .credentials(db.username(), db.password())
                .table(table)
                .keyColumns("product_id", "warehouse_id")
                .column("product_id", StockLevel::getProductId)
                .column("warehouse_id", StockLevel::getWarehouseId)
                .column("quantity", StockLevel::getQuantity)
                .column("product_total", StockLevel::getProductTotal)
                .column("updated_at", StockLevel::getUpdatedAt)
                .version("version", StockLevel::getVersion)
                .deleteWhen(StockLevel::getDeleted, mode)
                .settings(settings)
                .build();
    }

    private static IdempotentSinkSettings settings() {
        return IdempotentSinkSettings.builder(DeadLetterPolicy.builder("sink-it").build())
                .maxBatchSize(50)
                .maxBufferedRecords(100)
                .maxBufferTime(Duration.ofMillis(100))
                .deadLetterOutput(new FailingDeadLetterOutput())
                .build();
    }

    private static void runBounded(
            List<StockLevel> input, PostgresUpsertSink<StockLevel> sink, String name)
            throws Exception {
        Configuration job = new Configuration();
        job.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = FLINK.cluster().environment(2, job);
        DataStream<StockLevel> levels =
                env.fromData(input, new AvroTypeInfo<>(StockLevel.class))
                        .uid("input")
                        .name("input");
        sink.addTo(levels, "postgres-sink");
        FLINK.cluster().submit(env, name).getJobExecutionResult().get();
    }

    private static void awaitTable(
            PostgresDatabase db, String table, List<String> expected, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> actual = tableContents(db, table);
        while (!actual.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            actual = tableContents(db, table);
        }
        assertThat(actual).isEqualTo(expected);
    }

    /** Every row, every column, as sorted text. */
    private static List<String> tableContents(PostgresDatabase db, String table)
            throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = db.connect();
                Statement statement = connection.createStatement();
                ResultSet rs =
                        statement.executeQuery(
                                "SELECT product_id, warehouse_id, quantity, product_total, version,"
                                        + " extract(epoch from updated_at)::bigint"
                                        + (hasColumn(connection, table, "deleted")
                                                ? ", deleted"
                                                : "")
                                        + " FROM "
                                        + table)) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int c = 1; c <= meta.getColumnCount(); c++) {
                    if (c > 1) {
                        row.append('|');
                    }
                    Object value = rs.getObject(c);
                    row.append(value instanceof Boolean ? ((Boolean) value ? "t" : "f") : value);
                }
                rows.add(row.toString());
            }
        }
        Collections.sort(rows);
        return rows;
    }

    private static boolean hasColumn(Connection connection, String table, String column)
            throws SQLException {
        try (ResultSet rs = connection.getMetaData().getColumns(null, null, table, column)) {
            return rs.next();
        }
    }

    /** Slows a source down so that faults hit a job that is still writing. */
    private static final class Throttle implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final int recordsPerPause;
        private transient int count;

        Throttle(int recordsPerPause) {
            this.recordsPerPause = recordsPerPause;
        }

        @Override
        public Long map(Long value) throws InterruptedException {
            if (++count % recordsPerPause == 0) {
                Thread.sleep(10);
            }
            return value;
        }
    }

    /** For tests where no record may be rejected: a dead letter fails the job. */
    private static final class FailingDeadLetterOutput implements DeadLetterOutput {
        private static final long serialVersionUID = 1L;
        private static final AtomicInteger WRITTEN = new AtomicInteger();

        @Override
        public Writer open() {
            return new Writer() {
                @Override
                public void write(DeadLetter letter) {
                    WRITTEN.incrementAndGet();
                    throw new AssertionError("Unexpected dead letter: " + letter);
                }

                @Override
                public void flush() {}

                @Override
                public void close() {}
            };
        }
    }
}
