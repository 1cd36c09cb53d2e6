package io.pipelinekit.core.sink.postgres.internal;

import io.pipelinekit.core.sink.postgres.DeleteMode;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The target table of an upsert sink as the database describes it (column types, unique keys),
 * checked against the sink's mapping, and the SQL the sink runs against it.
 */
@Internal
public final class TargetTable {

    /** The sink's mapping: what it writes where. */
    public static final class Mapping {
        final String table;
        final List<String> keyColumns;
        final String versionColumn;
        final List<String> valueColumns;
        final DeleteMode deleteMode;
        final String softDeleteColumn;
        final String tombstoneTable;

        public Mapping(
                String table,
                List<String> keyColumns,
                String versionColumn,
                List<String> valueColumns,
                DeleteMode deleteMode,
                String softDeleteColumn,
                String tombstoneTable) {
            this.table = table;
            this.keyColumns = List.copyOf(keyColumns);
            this.versionColumn = versionColumn;
            this.valueColumns = List.copyOf(valueColumns);
            this.deleteMode = deleteMode;
            this.softDeleteColumn = softDeleteColumn;
            this.tombstoneTable = tombstoneTable;
        }
    }

    private final Mapping mapping;
    private final Map<String, String> types;
    private final Map<String, String> castTypes;

    private TargetTable(Mapping mapping, Map<String, String> types, Map<String, String> castTypes) {
        this.mapping = mapping;
        this.types = types;
        this.castTypes = castTypes;
    }

    /**
     * Reads the table's columns and unique indexes and checks the mapping against them; creates the
     * tombstone table for {@link DeleteMode#HARD_DELETE} when missing.
     *
     * @throws IllegalStateException with what to change when the table does not fit the mapping
     */
    public static TargetTable inspect(Connection connection, Mapping mapping) throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        // Casts use the type without its modifier: an explicit cast to varchar(20) would silently
        // truncate, the insert itself raises VALUE_TOO_LONG instead.
        Map<String, String> castTypes = new LinkedHashMap<>();
        try (PreparedStatement query =
                connection.prepareStatement(
                        "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
                                + " format_type(a.atttypid, NULL) FROM pg_attribute a WHERE"
                                + " a.attrelid ="
                                + " to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped ORDER"
                                + " BY a.attnum")) {
            query.setString(1, quoted(mapping.table));
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                    castTypes.put(rs.getString(1), rs.getString(3));
                }
            }
        }
        String database = connection.getCatalog();
        if (types.isEmpty()) {
            throw new IllegalStateException(
                    "Table "
                            + mapping.table
                            + " does not exist in database '"
                            + database
                            + "' (or the sink's user may not see it): create it with the key"
                            + " columns "
                            + mapping.keyColumns
                            + " as primary key and a bigint column '"
                            + mapping.versionColumn
                            + "', or fix the sink's table name.");
        }
        List<String> missing = new ArrayList<>();
        for (String column : allColumns(mapping)) {
            if (!types.containsKey(column)) {
                missing.add(column);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException(
                    "Table "
                            + mapping.table
                            + " has no column(s) "
                            + missing
                            + " that the sink writes (it has "
                            + types.keySet()
                            + "): add them, or fix the sink's column mapping (names are as stored,"
                            + " usually lower case).");
        }
        if (!uniqueKeys(connection, mapping.table).contains(Set.copyOf(mapping.keyColumns))) {
            throw new IllegalStateException(
                    "Table "
                            + mapping.table
                            + " has no primary key or unique index on exactly "
                            + mapping.keyColumns
                            + ": ON CONFLICT needs one. Run: ALTER TABLE "
                            + mapping.table
                            + " ADD PRIMARY KEY ("
                            + String.join(", ", mapping.keyColumns)
                            + ");");
        }
        TargetTable table = new TargetTable(mapping, types, castTypes);
        if (mapping.deleteMode == DeleteMode.HARD_DELETE) {
            table.createTombstoneTable(connection);
        }
        return table;
    }

    private static List<String> allColumns(Mapping mapping) {
        List<String> columns = new ArrayList<>(mapping.valueColumns);
        columns.add(mapping.versionColumn);
        if (mapping.deleteMode == DeleteMode.SOFT_DELETE) {
            columns.add(mapping.softDeleteColumn);
        }
        return columns;
    }

    private static Set<Set<String>> uniqueKeys(Connection connection, String table)
            throws SQLException {
        Set<Set<String>> keys = new HashSet<>();
        try (PreparedStatement query =
                connection.prepareStatement(
                        "SELECT array_agg(a.attname::text) FROM pg_index i CROSS JOIN LATERAL"
                                + " unnest(i.indkey) AS k(attnum) JOIN pg_attribute a ON"
                                + " a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE"
                                + " i.indrelid = to_regclass(?) AND i.indisunique AND"
                                + " i.indpred IS NULL GROUP BY i.indexrelid")) {
            query.setString(1, quoted(table));
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    keys.add(Set.of((String[]) rs.getArray(1).getArray()));
                }
            }
        }
        return keys;
    }

    private void createTombstoneTable(Connection connection) throws SQLException {
        StringBuilder ddl =
                new StringBuilder("CREATE TABLE IF NOT EXISTS ")
                        .append(quoted(mapping.tombstoneTable))
                        .append(" (");
        for (String key : mapping.keyColumns) {
            ddl.append(id(key)).append(' ').append(types.get(key)).append(" NOT NULL, ");
        }
        ddl.append(id(mapping.versionColumn))
                .append(' ')
                .append(types.get(mapping.versionColumn))
                .append(" NOT NULL, deleted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (")
                .append(ids(mapping.keyColumns))
                .append("))");
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(true);
        try (var statement = connection.createStatement()) {
            statement.execute(ddl.toString());
        } catch (SQLException e) {
            // Parallel subtasks race on CREATE TABLE IF NOT EXISTS (duplicate pg_type entry);
            // the table then exists, which is all that is needed.
            if (!exists(connection, mapping.tombstoneTable)) {
                throw new IllegalStateException(
                        "HARD_DELETE needs the tombstone table "
                                + mapping.tombstoneTable
                                + ", which the sink could not create ("
                                + e.getMessage()
                                + "). Create it yourself: "
                                + ddl
                                + ";",
                        e);
            }
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static boolean exists(Connection connection, String table) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT to_regclass(?)")) {
            query.setString(1, quoted(table));
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() && rs.getString(1) != null;
            }
        }
    }

    /**
     * Upserts of the value columns, fenced by version (and by tombstones under HARD_DELETE). Under
     * SOFT_DELETE the deleted flag is the last parameter, so upserts and deletes share it.
     */
    public String upsertSql() {
        List<String> columns = new ArrayList<>(mapping.valueColumns);
        columns.add(mapping.versionColumn);
        if (mapping.deleteMode == DeleteMode.SOFT_DELETE) {
            columns.add(mapping.softDeleteColumn);
        }
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(quoted(mapping.table));
        sql.append(" AS t (").append(ids(columns));
        sql.append(") SELECT ").append(casts(columns));
        sql.append(" FROM ").append(unnest(columns));
        if (mapping.deleteMode == DeleteMode.HARD_DELETE) {
            sql.append(" WHERE NOT EXISTS (SELECT 1 FROM ")
                    .append(quoted(mapping.tombstoneTable))
                    .append(" d WHERE ")
                    .append(keyMatch("d"))
                    .append(" AND d.")
                    .append(id(mapping.versionColumn))
                    .append(" >= ")
                    .append(cast(mapping.versionColumn))
                    .append(')');
        }
        sql.append(" ON CONFLICT (").append(ids(mapping.keyColumns)).append(") DO UPDATE SET ");
        List<String> updated = new ArrayList<>();
        for (String column : columns) {
            if (!mapping.keyColumns.contains(column)) {
                updated.add(id(column) + " = EXCLUDED." + id(column));
            }
        }
        sql.append(String.join(", ", updated)).append(versionFence());
        return sql.toString();
    }

    /** Under HARD_DELETE: removes rows older than the delete. */
    public String hardDeleteSql() {
        return "DELETE FROM "
                + quoted(mapping.table)
                + " AS t USING "
                + unnest(keyAndVersion())
                + " WHERE "
                + keyMatch("t")
                + " AND t."
                + id(mapping.versionColumn)
                + " < "
                + cast(mapping.versionColumn);
    }

    /**
     * Under HARD_DELETE, after {@link #hardDeleteSql()}: records the deletes whose version no row
     * outranks; its update count is the number of deletes applied.
     */
    public String tombstoneSql() {
        List<String> columns = keyAndVersion();
        return "INSERT INTO "
                + quoted(mapping.tombstoneTable)
                + " AS d ("
                + ids(columns)
                + ") SELECT "
                + casts(columns)
                + " FROM "
                + unnest(columns)
                + " WHERE NOT EXISTS (SELECT 1 FROM "
                + quoted(mapping.table)
                + " t WHERE "
                + keyMatch("t")
                + " AND t."
                + id(mapping.versionColumn)
                + " >= "
                + cast(mapping.versionColumn)
                + ") ON CONFLICT ("
                + ids(mapping.keyColumns)
                + ") DO UPDATE SET "
                + id(mapping.versionColumn)
                + " = EXCLUDED."
                + id(mapping.versionColumn)
                + ", deleted_at = now() WHERE d."
                + id(mapping.versionColumn)
                + " < EXCLUDED."
                + id(mapping.versionColumn);
    }

    private List<String> keyAndVersion() {
        List<String> columns = new ArrayList<>(mapping.keyColumns);
        columns.add(mapping.versionColumn);
        return columns;
    }

    private String versionFence() {
        return " WHERE t." + id(mapping.versionColumn) + " < EXCLUDED." + id(mapping.versionColumn);
    }

    private String keyMatch(String alias) {
        return mapping.keyColumns.stream()
                .map(k -> alias + "." + id(k) + " = " + cast(k))
                .collect(Collectors.joining(" AND "));
    }

    private String casts(List<String> columns) {
        return columns.stream().map(this::cast).collect(Collectors.joining(", "));
    }

    private String cast(String column) {
        return "u." + id(column) + "::" + castTypes.get(column);
    }

    private static String unnest(List<String> columns) {
        return "unnest("
                + columns.stream().map(c -> "?::text[]").collect(Collectors.joining(", "))
                + ") AS u("
                + ids(columns)
                + ")";
    }

    private static String ids(List<String> columns) {
        return columns.stream().map(TargetTable::id).collect(Collectors.joining(", "));
    }

    /** A quoted identifier: names are used exactly as stored in the catalog. */
    static String id(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A possibly schema-qualified table name, each part quoted. */
    static String quoted(String table) {
        int dot = table.indexOf('.');
        return dot < 0
                ? id(table)
                : id(table.substring(0, dot)) + "." + id(table.substring(dot + 1));
    }
}
