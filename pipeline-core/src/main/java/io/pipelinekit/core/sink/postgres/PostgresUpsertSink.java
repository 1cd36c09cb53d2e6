package io.pipelinekit.core.sink.postgres;

import io.pipelinekit.core.sink.BatchWriter;
import io.pipelinekit.core.sink.ErrorClassifier;
import io.pipelinekit.core.sink.IdempotentSink;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.core.sink.postgres.internal.PgText;
import io.pipelinekit.core.sink.postgres.internal.PostgresBatchWriter;
import io.pipelinekit.core.sink.postgres.internal.PostgresErrors;
import io.pipelinekit.core.sink.postgres.internal.TargetTable;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.util.function.SerializableFunction;

import javax.annotation.Nullable;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Upserts records into a PostgreSQL table, fenced by version: {@code INSERT ... ON CONFLICT (key)
 * DO UPDATE ... WHERE target.version < EXCLUDED.version}, so replayed or out-of-order records never
 * move a row backwards; deletes as hard deletes with tombstones or as soft deletes.
 *
 * <p>The table needs a primary key or unique index on the key columns and a version column
 * (bigint); writers check this when they start and fail with the DDL to run. Connection loss,
 * failover, deadlocks and timeouts are retried (reconnecting); rows the database rejects
 * (constraint or type violations) go to the dead-letter queue with the SQLSTATE as reason; missing
 * tables, columns or permissions fail the job at once.
 *
 * <pre>{@code
 * PostgresUpsertSink<StockLevel> sink =
 *         PostgresUpsertSink.<StockLevel>builder()
 *                 .jdbcUrl("jdbc:postgresql://db:5432/warehouse")
 *                 .credentials("sync", password)
 *                 .table("public.stock_levels")
 *                 .keyColumns("product_id", "warehouse_id")
 *                 .column("product_id", StockLevel::getProductId)
 *                 .column("warehouse_id", StockLevel::getWarehouseId)
 *                 .column("quantity", StockLevel::getQuantity)
 *                 .version("version", StockLevel::getVersion)
 *                 .deleteWhen(StockLevel::getDeleted, DeleteMode.HARD_DELETE)
 *                 .settings(IdempotentSinkSettings.builder(policy).deadLetterOutput(dlq).build())
 *                 .build();
 * sink.addTo(stockLevels, "stock-levels-postgres");
 * }</pre>
 */
@PublicEvolving
public final class PostgresUpsertSink<T> extends IdempotentSink<T> {

    private static final long serialVersionUID = 1L;

    private final String jdbcUrl;
    @Nullable private final String username;
    @Nullable private final String password;
    private final String table;
    private final List<String> keyColumns;
    private final LinkedHashMap<String, SerializableFunction<T, ?>> columns;
    private final String versionColumn;
    private final SerializableFunction<T, Long> version;
    @Nullable private final SerializableFunction<T, Boolean> deleteWhen;
    private final DeleteMode deleteMode;
    private final String softDeleteColumn;
    private final String tombstoneTable;

    private PostgresUpsertSink(Builder<T> builder) {
        super(builder.settings);
        this.jdbcUrl = builder.jdbcUrl;
        this.username = builder.username;
        this.password = builder.password;
        this.table = builder.table;
        this.keyColumns = List.copyOf(builder.keyColumns);
        // Key columns first: batches are sorted by them, which needs them at the front of a row.
        this.columns = new LinkedHashMap<>();
        keyColumns.forEach(k -> columns.put(k, builder.columns.get(k)));
        builder.columns.forEach(columns::putIfAbsent);
        this.versionColumn = builder.versionColumn;
        this.version = builder.version;
        this.deleteWhen = builder.deleteWhen;
        this.deleteMode = builder.deleteMode;
        this.softDeleteColumn = builder.softDeleteColumn;
        this.tombstoneTable =
                builder.tombstoneTable != null ? builder.tombstoneTable : table + "_tombstones";
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    @Override
    public Object keyOf(T record) {
        List<String> key = new ArrayList<>(keyColumns.size());
        for (String column : keyColumns) {
            String value = PgText.of(columns.get(column).apply(record));
            if (value == null) {
                throw new IllegalArgumentException("key column '" + column + "' is null");
            }
            key.add(value);
        }
        return key;
    }

    @Override
    public long versionOf(T record) {
        Long value = version.apply(record);
        if (value == null) {
            throw new IllegalArgumentException("version is null");
        }
        return value;
    }

    @Override
    public ErrorClassifier errorClassifier() {
        return new PostgresErrors();
    }

    @Override
    protected BatchWriter<T> createBatchWriter(WriterInitContext context) throws IOException {
        PostgresBatchWriter<T> writer =
                new PostgresBatchWriter<>(this, context.getTaskInfo().getIndexOfThisSubtask());
        try {
            writer.open();
        } catch (SQLException e) {
            // Without the URL's parameters: they may hold credentials.
            throw new IOException(
                    "Cannot open or inspect table "
                            + table
                            + " at "
                            + jdbcUrl.split("\\?")[0]
                            + ": "
                            + e.getMessage(),
                    e);
        }
        return writer;
    }

    /**
     * Connects once and checks that the table fits this sink (columns, unique key, tombstone
     * table), e.g. from a job's {@code main} before it is submitted.
     *
     * @throws IllegalStateException with what to change when it does not fit
     */
    public void checkTarget() throws SQLException {
        try (Connection connection = PostgresConnections.connect(jdbcUrl, username, password)) {
            TargetTable.inspect(connection, mapping());
        }
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String table() {
        return table;
    }

    public List<String> keyColumns() {
        return keyColumns;
    }

    public DeleteMode deleteMode() {
        return deleteMode;
    }

    @Nullable
    public String username() {
        return username;
    }

    /** For the sink's writers; never logged. */
    @Internal
    @Nullable
    public String password() {
        return password;
    }

    @Internal
    public boolean isDelete(T record) {
        return deleteWhen != null && Boolean.TRUE.equals(deleteWhen.apply(record));
    }

    /** The record's column values as text, key columns first, then the version. */
    @Internal
    public List<String> rowText(T record) {
        List<String> row = new ArrayList<>(columns.size() + 1);
        for (SerializableFunction<T, ?> extractor : columns.values()) {
            row.add(PgText.of(extractor.apply(record)));
        }
        row.add(Long.toString(versionOf(record)));
        return row;
    }

    /** The record's key column values and version as text. */
    @Internal
    public List<String> keyAndVersionText(T record) {
        List<String> row = new ArrayList<>(keyColumns.size() + 1);
        for (String column : keyColumns) {
            row.add(PgText.of(columns.get(column).apply(record)));
        }
        row.add(Long.toString(versionOf(record)));
        return row;
    }

    @Internal
    public TargetTable.Mapping mapping() {
        return new TargetTable.Mapping(
                table,
                keyColumns,
                versionColumn,
                new ArrayList<>(columns.keySet()),
                deleteMode,
                softDeleteColumn,
                tombstoneTable);
    }

    /** Builder of {@link PostgresUpsertSink}. */
    @PublicEvolving
    public static final class Builder<T> {
        private String jdbcUrl;
        private String username;
        private String password;
        private String table;
        private final List<String> keyColumns = new ArrayList<>();
        private final Map<String, SerializableFunction<T, ?>> columns = new LinkedHashMap<>();
        private String versionColumn;
        private SerializableFunction<T, Long> version;
        private SerializableFunction<T, Boolean> deleteWhen;
        private DeleteMode deleteMode = DeleteMode.HARD_DELETE;
        private String softDeleteColumn = "deleted";
        private String tombstoneTable;
        private IdempotentSinkSettings settings;

        private Builder() {}

        /** {@code jdbc:postgresql://host:port/database} (plus driver parameters, e.g. TLS). */
        public Builder<T> jdbcUrl(String url) {
            this.jdbcUrl = Objects.requireNonNull(url, "jdbcUrl");
            return this;
        }

        /**
         * The URL and credentials of {@link PostgresSinkOptions} in {@code config}: the URL is
         * required; {@code sink.postgres.username} and {@code sink.postgres.password} are used when
         * set (the password is a secret: from a file or the environment).
         */
        public Builder<T> connection(ReadableConfig config) {
            Objects.requireNonNull(config, "config");
            jdbcUrl(
                    config.getOptional(PostgresSinkOptions.URL)
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    "The PostgreSQL sink has no target: set "
                                                            + PostgresSinkOptions.URL.key()
                                                            + " (jdbc:postgresql://host:port/db).")));
            config.getOptional(PostgresSinkOptions.USERNAME).ifPresent(u -> this.username = u);
            config.getOptional(PostgresSinkOptions.PASSWORD).ifPresent(p -> this.password = p);
            return this;
        }

        public Builder<T> credentials(String username, String password) {
            this.username = Objects.requireNonNull(username, "username");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** The target table, optionally schema-qualified, as stored (usually lower case). */
        public Builder<T> table(String table) {
            this.table = Objects.requireNonNull(table, "table");
            return this;
        }

        /** The columns of the table's primary key or unique index: the ON CONFLICT target. */
        public Builder<T> keyColumns(String... columns) {
            for (String column : columns) {
                keyColumns.add(Objects.requireNonNull(column, "key column"));
            }
            return this;
        }

        /** A column and how to get its value from a record (null writes NULL). */
        public Builder<T> column(String name, SerializableFunction<T, ?> value) {
            Objects.requireNonNull(name, "column");
            Objects.requireNonNull(value, "value of column " + name);
            if (columns.put(name, value) != null) {
                throw new IllegalArgumentException("Column '" + name + "' is mapped twice");
            }
            return this;
        }

        /** The version column (bigint) and the record's version, e.g. the CDC LSN. */
        public Builder<T> version(String column, SerializableFunction<T, Long> version) {
            this.versionColumn = Objects.requireNonNull(column, "version column");
            this.version = Objects.requireNonNull(version, "version");
            return this;
        }

        /**
         * Which records are deletes, and how they are applied (default: no deletes). Under {@link
         * DeleteMode#SOFT_DELETE} the boolean column {@code deleted} is set; see {@link
         * #softDeleteColumn}.
         */
        public Builder<T> deleteWhen(SerializableFunction<T, Boolean> isDelete, DeleteMode mode) {
            this.deleteWhen = Objects.requireNonNull(isDelete, "isDelete");
            this.deleteMode = Objects.requireNonNull(mode, "deleteMode");
            return this;
        }

        /** The boolean column of {@link DeleteMode#SOFT_DELETE} (default {@code deleted}). */
        public Builder<T> softDeleteColumn(String column) {
            this.softDeleteColumn = Objects.requireNonNull(column, "softDeleteColumn");
            return this;
        }

        /**
         * The tombstone table of {@link DeleteMode#HARD_DELETE} (default {@code
         * <table>_tombstones}).
         */
        public Builder<T> tombstoneTable(String table) {
            this.tombstoneTable = Objects.requireNonNull(table, "tombstoneTable");
            return this;
        }

        /** Batching, retries and dead letters. */
        public Builder<T> settings(IdempotentSinkSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        public PostgresUpsertSink<T> build() {
            List<String> problems = new ArrayList<>();
            if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
                problems.add(
                        "jdbcUrl(\"jdbc:postgresql://host:5432/database\") is "
                                + (jdbcUrl == null
                                        ? "missing"
                                        : "not a PostgreSQL URL: " + jdbcUrl));
            }
            if (table == null || table.isBlank()) {
                problems.add("table(\"schema.table\") is missing: where should records go?");
            }
            if (keyColumns.isEmpty()) {
                problems.add(
                        "keyColumns(...) is missing: name the columns of the table's primary key"
                                + " (the ON CONFLICT target), e.g. keyColumns(\"product_id\","
                                + " \"warehouse_id\")");
            }
            for (String key : keyColumns) {
                if (!columns.containsKey(key)) {
                    problems.add(
                            "key column '"
                                    + key
                                    + "' has no value: add column(\""
                                    + key
                                    + "\", record -> ...)");
                }
            }
            if (versionColumn == null) {
                problems.add(
                        "version(\"version\", record -> ...) is missing: the fence that keeps"
                                + " replayed or out-of-order records from moving a row backwards"
                                + " (a CDC LSN, an event version or a sequence number)");
            } else if (columns.containsKey(versionColumn)) {
                problems.add(
                        "column '"
                                + versionColumn
                                + "' is both mapped and the version column: remove the column(...)"
                                + " mapping, version(...) fills it");
            }
            if (deleteMode == DeleteMode.SOFT_DELETE && columns.containsKey(softDeleteColumn)) {
                problems.add(
                        "column '"
                                + softDeleteColumn
                                + "' is both mapped and the soft-delete column: remove the"
                                + " column(...) mapping, the sink sets it");
            }
            if (settings == null) {
                problems.add(
                        "settings(IdempotentSinkSettings.builder(policy)...build()) is missing:"
                                + " batching, retries and where rejected rows go");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "PostgresUpsertSink"
                                + (table == null ? "" : " for " + table)
                                + " is not complete:\n  - "
                                + String.join("\n  - ", problems));
            }
            return new PostgresUpsertSink<>(this);
        }
    }
}
