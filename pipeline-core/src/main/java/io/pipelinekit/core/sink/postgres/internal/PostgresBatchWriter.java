package io.pipelinekit.core.sink.postgres.internal;

import io.pipelinekit.core.sink.BatchWriter;
import io.pipelinekit.core.sink.postgres.DeleteMode;
import io.pipelinekit.core.sink.postgres.PostgresConnections;
import io.pipelinekit.core.sink.postgres.PostgresUpsertSink;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;

/**
 * Writes a batch in one transaction: one upsert statement for all upserts and one or two statements
 * for all deletes, each taking every column as a {@code text[]} parameter ({@code unnest}), so a
 * batch costs one round trip per statement whatever its size, and the update counts say exactly how
 * many records the version fence skipped.
 *
 * <p>Why not JDBC batches with {@code reWriteBatchedInserts}: the driver then reports {@code
 * SUCCESS_NO_INFO} instead of per-row counts (pgjdbc#3275), so stale records could not be counted,
 * and each batch size is a different statement to parse.
 */
@Internal
public final class PostgresBatchWriter<T> implements BatchWriter<T> {

    private final PostgresUpsertSink<T> sink;
    private final String applicationName;
    private Connection connection;
    private TargetTable table;

    public PostgresBatchWriter(PostgresUpsertSink<T> sink, int subtask) {
        this.sink = sink;
        this.applicationName = "pipelinekit-sink " + sink.table() + " #" + subtask;
    }

    /** Connects and checks the table; fails with what to change when it does not fit. */
    public void open() throws SQLException {
        connection();
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Properties properties = new Properties();
            if (sink.username() != null) {
                properties.setProperty("user", sink.username());
            }
            if (sink.password() != null) {
                properties.setProperty("password", sink.password());
            }
            properties.setProperty("ApplicationName", applicationName);
            properties.setProperty("connectTimeout", "10");
            properties.setProperty("socketTimeout", "120");
            properties.setProperty("tcpKeepAlive", "true");
            Connection opened = PostgresConnections.connect(sink.jdbcUrl(), properties);
            try {
                if (table == null) {
                    table = TargetTable.inspect(opened, sink.mapping());
                }
                opened.setAutoCommit(false);
            } catch (SQLException | RuntimeException e) {
                opened.close();
                throw e;
            }
            connection = opened;
        }
        return connection;
    }

    @Override
    public int write(List<T> batch) throws Exception {
        List<List<String>> upserts = new ArrayList<>();
        List<List<String>> deletes = new ArrayList<>();
        boolean soft = sink.deleteMode() == DeleteMode.SOFT_DELETE;
        for (T record : batch) {
            boolean delete = sink.isDelete(record);
            if (soft) {
                List<String> row = sink.rowText(record);
                row.add(Boolean.toString(delete));
                upserts.add(row);
            } else if (delete) {
                deletes.add(sink.keyAndVersionText(record));
            } else {
                upserts.add(sink.rowText(record));
            }
        }
        // One lock order for all subtasks: concurrent batches touching the same keys then wait
        // for each other instead of deadlocking.
        Comparator<List<String>> byKey = keyOrder(sink.keyColumns().size());
        upserts.sort(byKey);
        deletes.sort(byKey);
        Connection db = connection();
        try {
            int applied = 0;
            if (!upserts.isEmpty()) {
                applied += execute(db, table.upsertSql(), upserts);
            }
            if (!deletes.isEmpty()) {
                execute(db, table.hardDeleteSql(), deletes);
                applied += execute(db, table.tombstoneSql(), deletes);
            }
            db.commit();
            return batch.size() - applied;
        } catch (Exception e) {
            rollbackQuietly(db);
            throw e;
        }
    }

    private static int execute(Connection db, String sql, List<List<String>> rows)
            throws SQLException {
        int columns = rows.get(0).size();
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            for (int c = 0; c < columns; c++) {
                String[] values = new String[rows.size()];
                for (int r = 0; r < values.length; r++) {
                    values[r] = rows.get(r).get(c);
                }
                statement.setArray(c + 1, db.createArrayOf("text", values));
            }
            return statement.executeUpdate();
        }
    }

    private static Comparator<List<String>> keyOrder(int keyColumns) {
        return (a, b) -> {
            for (int i = 0; i < keyColumns; i++) {
                int c =
                        Comparator.nullsFirst(Comparator.<String>naturalOrder())
                                .compare(a.get(i), b.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        };
    }

    private static void rollbackQuietly(Connection db) {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; reset() replaces it before the retry.
        }
    }

    @Override
    public void reset() {
        closeQuietly();
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Closing a broken connection may fail; it is discarded either way.
            }
            connection = null;
        }
    }
}
