package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares a target table with its source row by row, through two JDBC queries: rows are matched on
 * the first {@code keyColumns} columns and compared on all columns (as text), and the result lists
 * the first missing, extra and different rows as a readable diff.
 *
 * <pre>{@code
 * TableEquality.builder()
 *         .source(source::connect, "SELECT product_id, quantity FROM stock")
 *         .target(target::connect, "SELECT product_id, quantity FROM stock_levels")
 *         .build()
 *         .check()
 *         .assertHolds();
 * }</pre>
 */
@PublicEvolving
public final class TableEquality {

    /** Opens a JDBC connection, e.g. {@code PostgresDatabase::connect}. */
    @PublicEvolving
    @FunctionalInterface
    public interface ConnectionFactory {
        Connection connect() throws SQLException;
    }

    private final ConnectionFactory source;
    private final String sourceQuery;
    private final ConnectionFactory target;
    private final String targetQuery;
    private final int keyColumns;
    private final int maxExamples;

    private TableEquality(Builder builder) {
        this.source = builder.source;
        this.sourceQuery = builder.sourceQuery;
        this.target = builder.target;
        this.targetQuery = builder.targetQuery;
        this.keyColumns = builder.keyColumns;
        this.maxExamples = builder.maxExamples;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs both queries now and compares their rows. */
    public TableEqualityResult check() {
        Rows left = query(source, sourceQuery, "source");
        Rows right = query(target, targetQuery, "target");
        if (left.columns.size() != right.columns.size()) {
            throw new IllegalArgumentException(
                    "The queries return different columns: source "
                            + left.columns
                            + ", target "
                            + right.columns);
        }
        return compare(left.columns, left.rows, right.rows, keyColumns, maxExamples);
    }

    /** The comparison itself, on rows as text. */
    static TableEqualityResult compare(
            List<String> columns,
            List<List<String>> sourceRows,
            List<List<String>> targetRows,
            int keyColumns,
            int maxExamples) {
        Map<List<String>, List<String>> sourceByKey = new LinkedHashMap<>();
        Map<List<String>, List<String>> targetByKey = new LinkedHashMap<>();
        List<String> diff = new ArrayList<>();
        long duplicateKeys =
                index(sourceRows, keyColumns, sourceByKey, "source", diff, maxExamples);
        duplicateKeys += index(targetRows, keyColumns, targetByKey, "target", diff, maxExamples);
        long missing = 0;
        long different = 0;
        long extra = 0;
        for (Map.Entry<List<String>, List<String>> e : sourceByKey.entrySet()) {
            List<String> other = targetByKey.get(e.getKey());
            if (other == null) {
                missing++;
                add(
                        diff,
                        maxExamples,
                        "- missing   " + key(columns, e.getKey()) + ": " + e.getValue());
            } else if (!other.equals(e.getValue())) {
                different++;
                StringBuilder cells = new StringBuilder();
                for (int i = 0; i < columns.size(); i++) {
                    if (!Objects.equals(e.getValue().get(i), other.get(i))) {
                        cells.append(cells.length() == 0 ? "" : ", ")
                                .append(columns.get(i))
                                .append(" source=")
                                .append(e.getValue().get(i))
                                .append(" target=")
                                .append(other.get(i));
                    }
                }
                add(diff, maxExamples, "~ differs   " + key(columns, e.getKey()) + ": " + cells);
            }
        }
        for (Map.Entry<List<String>, List<String>> e : targetByKey.entrySet()) {
            if (!sourceByKey.containsKey(e.getKey())) {
                extra++;
                add(
                        diff,
                        maxExamples,
                        "+ extra     " + key(columns, e.getKey()) + ": " + e.getValue());
            }
        }
        return new TableEqualityResult(
                sourceRows.size(),
                targetRows.size(),
                missing,
                extra,
                different,
                duplicateKeys,
                diff);
    }

    private static long index(
            List<List<String>> rows,
            int keyColumns,
            Map<List<String>, List<String>> byKey,
            String side,
            List<String> diff,
            int maxExamples) {
        long duplicates = 0;
        for (List<String> row : rows) {
            // An ArrayList key keeps SQL NULL as null: distinct from the text 'NULL'.
            List<String> key = new ArrayList<>(row.subList(0, keyColumns));
            if (byKey.putIfAbsent(key, row) != null) {
                duplicates++;
                add(diff, maxExamples, "! duplicate key in " + side + ": " + key);
            }
        }
        return duplicates;
    }

    private static String key(List<String> columns, List<String> key) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
            String value = key.get(i);
            out.append(i == 0 ? "" : ", ")
                    .append(columns.get(i))
                    .append('=')
                    .append(value == null ? "NULL" : value);
        }
        return out.toString();
    }

    private static void add(List<String> diff, int max, String line) {
        if (diff.size() < max) {
            diff.add(line);
        }
    }

    private Rows query(ConnectionFactory factory, String sql, String side) {
        try (Connection connection = factory.connect();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rs.getMetaData();
            Rows result = new Rows();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                result.columns.add(meta.getColumnLabel(i));
            }
            if (result.columns.size() < keyColumns) {
                throw new IllegalArgumentException(
                        "The "
                                + side
                                + " query returns "
                                + result.columns.size()
                                + " columns, fewer than the "
                                + keyColumns
                                + " key columns: "
                                + sql);
            }
            while (rs.next()) {
                List<String> row = new ArrayList<>(result.columns.size());
                for (int i = 1; i <= result.columns.size(); i++) {
                    row.add(rs.getString(i));
                }
                result.rows.add(row);
            }
            return result;
        } catch (SQLException e) {
            throw new IllegalStateException("The " + side + " query failed: " + sql, e);
        }
    }

    private static final class Rows {
        final List<String> columns = new ArrayList<>();
        final List<List<String>> rows = new ArrayList<>();
    }

    /** Builder of {@link TableEquality}. */
    @PublicEvolving
    public static final class Builder {
        private ConnectionFactory source;
        private String sourceQuery;
        private ConnectionFactory target;
        private String targetQuery;
        private int keyColumns = 1;
        private int maxExamples = 20;

        private Builder() {}

        /** The source of truth and the query of its rows; the first columns are the key. */
        public Builder source(ConnectionFactory connections, String query) {
            this.source = Objects.requireNonNull(connections, "source connections");
            this.sourceQuery = Objects.requireNonNull(query, "source query");
            return this;
        }

        /** The table that must equal the source, queried with the same columns in order. */
        public Builder target(ConnectionFactory connections, String query) {
            this.target = Objects.requireNonNull(connections, "target connections");
            this.targetQuery = Objects.requireNonNull(query, "target query");
            return this;
        }

        /** How many leading columns identify a row (default 1). */
        public Builder keyColumns(int count) {
            this.keyColumns = count;
            return this;
        }

        /** How many diff lines the result keeps (default 20). */
        public Builder maxExamples(int count) {
            this.maxExamples = count;
            return this;
        }

        public TableEquality build() {
            List<String> problems = new ArrayList<>();
            if (source == null) {
                problems.add("source(connections, query) is missing");
            }
            if (target == null) {
                problems.add("target(connections, query) is missing");
            }
            if (keyColumns < 1) {
                problems.add("keyColumns must be >= 1, was " + keyColumns);
            }
            if (maxExamples < 0) {
                problems.add("maxExamples must be >= 0, was " + maxExamples);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "TableEquality is not complete:\n  - " + String.join("\n  - ", problems));
            }
            return new TableEquality(this);
        }
    }
}
