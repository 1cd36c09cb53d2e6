package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.core.checkpoint.PipelineValidator;
import io.pipelinekit.core.config.PipelineConfig;
import io.pipelinekit.core.dlq.DeadLetterKafkaDeserializer;
import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterSink;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.kafka.ExactlyOnceKafkaSink;
import io.pipelinekit.core.kafka.KafkaFactories;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.kafka.UpsertKafkaSink;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.sink.IdempotentSinkOptions;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.core.sink.postgres.DeleteMode;
import io.pipelinekit.core.sink.postgres.PostgresConnections;
import io.pipelinekit.core.sink.postgres.PostgresUpsertSink;
import io.pipelinekit.jobs.inventory.InventorySyncOptions.Mode;
import io.pipelinekit.jobs.inventory.internal.ChangeEventDeserializer;
import io.pipelinekit.jobs.inventory.internal.CheckpointSafeCdcSource;
import io.pipelinekit.jobs.inventory.internal.InventoryMonitor;
import io.pipelinekit.jobs.inventory.internal.JdbcUrl;
import io.pipelinekit.jobs.inventory.internal.StockLevelFunction;
import io.pipelinekit.jobs.inventory.internal.TargetSchema;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.cdc.connectors.base.options.StartupOptions;
import org.apache.flink.cdc.connectors.postgres.source.PostgresSourceBuilder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;

import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * inventory-sync: captures the stock table of a Postgres database with Flink CDC (parallel
 * lock-free snapshot, then its changes), writes the changes exactly-once to a Kafka changelog
 * topic, and from that topic keeps stock levels and product totals in a target database and a
 * compacted topic, fenced by LSN, checking invariants and reconciling source and target.
 *
 * <pre>
 * flink run -c io.pipelinekit.jobs.inventory.InventorySyncJob pipeline-jobs.jar --config sync.yaml
 * </pre>
 */
@PublicEvolving
public final class InventorySyncJob {

    public static final String NAME = "inventory-sync";

    private InventorySyncJob() {}

    /** The option classes the job reads (for the loader and the options reference). */
    public static final Class<?>[] OPTIONS = {
        InventorySyncOptions.class,
        KafkaOptions.class,
        SchemaRegistryOptions.class,
        CheckpointOptions.class,
        DeadLetterOptions.class,
        IdempotentSinkOptions.class
    };

    public static void main(String[] args) throws Exception {
        Configuration config = loadConfig(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, config);
        env.execute(NAME);
    }

    /** Parses {@code --config file.yaml} and {@code --key value} arguments. */
    public static Configuration loadConfig(String[] args) {
        return loadConfig(args, System.getenv());
    }

    /**
     * Like {@link #loadConfig(String[])}, with {@code PIPELINEKIT_*} variables from {@code env}.
     */
    public static Configuration loadConfig(String[] args, Map<String, String> env) {
        return PipelineConfig.loader()
                .options(OPTIONS)
                .require(
                        KafkaOptions.BOOTSTRAP_SERVERS,
                        SchemaRegistryOptions.URL,
                        CheckpointOptions.STORAGE,
                        DeadLetterOptions.TOPIC,
                        InventorySyncOptions.SLOT_NAME)
                .args(args)
                .environment(env)
                .load()
                .configuration();
    }

    /**
     * Builds the job on {@code env}: all endpoints come from {@code config}, so a test, the demo
     * and production run the same code against different services.
     */
    public static void build(StreamExecutionEnvironment env, Configuration config)
            throws SQLException {
        build(env, config, UnaryOperator.identity());
    }

    /**
     * Like {@link #build(StreamExecutionEnvironment, Configuration)}, with {@code beforeLevels}
     * applied to the changelog's changes on their way to the stock levels: where a test puts an
     * operator into the job (a chaos test's {@code FailAfterCheckpoint}).
     */
    static void build(
            StreamExecutionEnvironment env,
            Configuration config,
            UnaryOperator<DataStream<InventoryChangeEvent>> beforeLevels)
            throws SQLException {
        Configuration effective = new Configuration(config);
        if (!config.contains(CheckpointOptions.PRESET)) {
            effective.set(CheckpointOptions.PRESET, CheckpointPreset.LARGE_STATE);
        }
        CheckpointSettings checkpoints = CheckpointSettings.fromConfig(effective);
        checkpoints.applyTo(env);
        DeadLetterPolicy policy =
                DeadLetterPolicy.fromConfig(NAME, config, PipelineConfig.secretValues(config));
        Mode mode = config.get(InventorySyncOptions.MODE);
        Properties kafka = KafkaFactories.clientProperties(config);
        String slot = config.get(InventorySyncOptions.SLOT_NAME);
        String changelog = config.get(InventorySyncOptions.CHANGELOG_TOPIC);
        List<DataStream<DeadLetter>> deadLetters = new ArrayList<>();
        Duration brokerMax = PipelineValidator.DEFAULT_BROKER_MAX_TRANSACTION_TIMEOUT;

        if (mode != Mode.SYNC) {
            brokerMax = ExactlyOnceKafkaSink.brokerMaxTransactionTimeout(kafka);
            SingleOutputStreamOperator<InventoryChangeEvent> changes =
                    DeadLetters.split(
                            env.fromSource(
                                            cdcSource(config, policy),
                                            WatermarkStrategy.noWatermarks(),
                                            "cdc-source")
                                    .uid("cdc-source"),
                            "cdc-split");
            deadLetters.add(changes.getSideOutput(DeadLetters.TAG));
            changes.sinkTo(
                            ExactlyOnceKafkaSink.<InventoryChangeEvent>builder()
                                    .kafkaProperties(kafka)
                                    .transactionalIdPrefix(
                                            config.getOptional(KafkaOptions.TRANSACTIONAL_ID_PREFIX)
                                                    .orElse(NAME + "." + slot + ".changelog"))
                                    .checkpointSettings(checkpoints)
                                    .brokerMaxTransactionTimeout(brokerMax)
                                    .transactionTimeout(
                                            config.getOptional(KafkaOptions.TRANSACTION_TIMEOUT)
                                                    .orElse(null))
                                    .serializer(
                                            KafkaRecordSerializationSchema
                                                    .<InventoryChangeEvent>builder()
                                                    .setTopic(changelog)
                                                    .setKeySerializationSchema(
                                                            InventorySyncJob::changeKey)
                                                    .setValueSerializationSchema(
                                                            ConfluentAvro.serializer(
                                                                    InventoryChangeEvent.class,
                                                                    changelog,
                                                                    config))
                                                    .build())
                                    .build())
                    .uid("changelog-sink")
                    .name("changelog-sink");
        }

        if (mode != Mode.CAPTURE) {
            if (config.get(InventorySyncOptions.TARGET_CREATE_TABLES)) {
                TargetSchema.create(config);
            }
            SingleOutputStreamOperator<InventoryChangeEvent> changes =
                    DeadLetters.split(
                            env.fromSource(
                                            changelogSource(config, policy),
                                            WatermarkStrategy.noWatermarks(),
                                            "changelog-source")
                                    .uid("changelog-source"),
                            "changelog-split");
            SingleOutputStreamOperator<StockLevel> levels =
                    beforeLevels
                            .apply(changes)
                            .keyBy(InventoryChangeEvent::getProductId, Types.STRING)
                            .process(
                                    new StockLevelFunction(
                                            policy,
                                            new HashSet<>(
                                                    config.get(
                                                            InventorySyncOptions.KNOWN_WAREHOUSES)),
                                            config.get(InventorySyncOptions.MAX_JUMP)),
                                    new AvroTypeInfo<>(StockLevel.class))
                            .uid("stock-levels")
                            .name("stock-levels");
            deadLetters.add(changes.getSideOutput(DeadLetters.TAG));
            deadLetters.add(levels.getSideOutput(DeadLetters.TAG));

            // Rejected rows go to dlq.topic (required above) when the policy dead-letters SINK.
            IdempotentSinkSettings sinkSettings =
                    IdempotentSinkSettings.fromConfig(config, policy).build();
            stockLevelsSink(config, sinkSettings).addTo(levels, "stock-levels-postgres");
            String levelsTopic = config.get(InventorySyncOptions.STOCK_LEVELS_TOPIC);
            if (!levelsTopic.isBlank()) {
                levels.sinkTo(
                                UpsertKafkaSink.<StockLevel>builder()
                                        .kafkaProperties(kafka)
                                        .topic(levelsTopic)
                                        .key(InventorySyncJob::levelKey)
                                        .value(
                                                ConfluentAvro.serializer(
                                                        StockLevel.class, levelsTopic, config))
                                        .version(StockLevel::getVersion)
                                        .deleteWhen(StockLevel::getDeleted)
                                        .build())
                        .uid("stock-levels-kafka")
                        .name("stock-levels-kafka");
            }
        }

        Duration interval = config.get(InventorySyncOptions.RECONCILE_INTERVAL);
        if (!interval.isZero()) {
            env.fromSource(
                            new DataGeneratorSource<>(
                                    index -> index,
                                    Long.MAX_VALUE,
                                    RateLimiterStrategy.perSecond(1000.0 / interval.toMillis()),
                                    Types.LONG),
                            WatermarkStrategy.noWatermarks(),
                            "monitor-ticks")
                    .setParallelism(1)
                    .uid("monitor-ticks")
                    .map(new InventoryMonitor(config, mode != Mode.CAPTURE))
                    .setParallelism(1)
                    .uid("monitor")
                    .name("monitor")
                    .sinkTo(new DiscardingSink<>())
                    .setParallelism(1)
                    .uid("monitor-sink")
                    .name("monitor-sink");
        }

        DataStream<DeadLetter> all = deadLetters.get(0);
        for (int i = 1; i < deadLetters.size(); i++) {
            all = all.union(deadLetters.get(i));
        }
        all.sinkTo(DeadLetterSink.fromConfig(config))
                .uid("dead-letter-sink")
                .name("dead-letter-sink");

        PipelineValidator.validate(env, checkpoints, brokerMax);
    }

    static byte[] changeKey(InventoryChangeEvent change) {
        return (change.getProductId() + "/" + change.getWarehouseId())
                .getBytes(StandardCharsets.UTF_8);
    }

    static String levelKey(StockLevel level) {
        return level.getProductId() + "/" + level.getWarehouseId();
    }

    private static CheckpointSafeCdcSource<Either<DeadLetter, InventoryChangeEvent>> cdcSource(
            Configuration config, DeadLetterPolicy policy) throws SQLException {
        JdbcUrl url =
                JdbcUrl.parse(
                        config.getOptional(InventorySyncOptions.SOURCE_URL)
                                .orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        "Capture needs "
                                                                + InventorySyncOptions.SOURCE_URL
                                                                        .key())));
        String table = config.get(InventorySyncOptions.SOURCE_TABLE);
        if (!table.contains(".")) {
            table = "public." + table;
        }
        String slot = config.get(InventorySyncOptions.SLOT_NAME);
        long snapshotVersion;
        try (Connection source =
                PostgresConnections.connect(
                        url.toString(),
                        config.get(InventorySyncOptions.SOURCE_USERNAME),
                        config.get(InventorySyncOptions.SOURCE_PASSWORD))) {
            snapshotVersion = ReplicationSlots.currentLsn(source);
        }
        StartupOptions startup;
        switch (config.get(InventorySyncOptions.CAPTURE_STARTUP)) {
            case LATEST:
                startup = StartupOptions.latest();
                break;
            case COMMITTED:
                startup = StartupOptions.committed();
                break;
            case INITIAL:
            default:
                startup = StartupOptions.initial();
        }
        Properties debezium = new Properties();
        debezium.setProperty("publication.name", ReplicationSlots.publicationName(slot));
        debezium.setProperty("publication.autocreate.mode", "filtered");
        debezium.setProperty("decimal.handling.mode", "string");
        // Wrapped so that a checkpoint cannot lose the last snapshot chunk; the wrapper keeps the
        // serializers, so savepoints taken before it was added still restore.
        return CheckpointSafeCdcSource.wrap(
                PostgresSourceBuilder.PostgresIncrementalSource
                        .<Either<DeadLetter, InventoryChangeEvent>>builder()
                        .hostname(url.host)
                        .port(url.port)
                        .database(url.database)
                        .schemaList(table.substring(0, table.indexOf('.')))
                        .tableList(table)
                        .username(config.get(InventorySyncOptions.SOURCE_USERNAME))
                        .password(config.get(InventorySyncOptions.SOURCE_PASSWORD))
                        .slotName(slot)
                        .decodingPluginName("pgoutput")
                        .splitSize(config.get(InventorySyncOptions.SNAPSHOT_SPLIT_SIZE))
                        .startupOptions(startup)
                        .debeziumProperties(debezium)
                        .deserializer(new ChangeEventDeserializer(policy, snapshotVersion))
                        .build());
    }

    private static KafkaSource<Either<DeadLetter, InventoryChangeEvent>> changelogSource(
            Configuration config, DeadLetterPolicy policy) {
        String topic = config.get(InventorySyncOptions.CHANGELOG_TOPIC);
        OffsetsInitializer start;
        switch (config.get(InventorySyncOptions.SYNC_STARTUP)) {
            case EARLIEST:
                start = OffsetsInitializer.earliest();
                break;
            case TIMESTAMP:
                start =
                        OffsetsInitializer.timestamp(
                                config.getOptional(InventorySyncOptions.SYNC_STARTUP_TIMESTAMP)
                                        .orElseThrow(
                                                () ->
                                                        new IllegalArgumentException(
                                                                "Sync startup mode TIMESTAMP needs "
                                                                        + InventorySyncOptions
                                                                                .SYNC_STARTUP_TIMESTAMP
                                                                                .key()
                                                                        + " (epoch ms)")));
                break;
            case COMMITTED:
            default:
                start = OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        }
        return KafkaFactories.<Either<DeadLetter, InventoryChangeEvent>>source(config, topic)
                // The changelog is written in transactions: only committed changes count.
                .setProperty("isolation.level", "read_committed")
                .setStartingOffsets(start)
                .setDeserializer(
                        DeadLetterKafkaDeserializer.wrap(
                                ConfluentAvro.deserializer(InventoryChangeEvent.class, config),
                                policy,
                                "changelog-source"))
                .build();
    }

    private static PostgresUpsertSink<StockLevel> stockLevelsSink(
            Configuration config, IdempotentSinkSettings settings) {
        return PostgresUpsertSink.<StockLevel>builder()
                .jdbcUrl(config.get(InventorySyncOptions.TARGET_URL))
                .credentials(
                        config.get(InventorySyncOptions.TARGET_USERNAME),
                        config.get(InventorySyncOptions.TARGET_PASSWORD))
                .table("stock_levels")
                .keyColumns("product_id", "warehouse_id")
                .column("product_id", StockLevel::getProductId)
                .column("warehouse_id", StockLevel::getWarehouseId)
                .column("quantity", StockLevel::getQuantity)
                .column("updated_at", StockLevel::getUpdatedAt)
                .version("version", StockLevel::getVersion)
                .deleteWhen(StockLevel::getDeleted, DeleteMode.HARD_DELETE)
                .settings(settings)
                .build();
    }
}
