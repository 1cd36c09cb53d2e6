package io.pipelinekit.core.sink.postgres.internal;

import io.pipelinekit.core.sink.ErrorClassifier;

import org.apache.flink.annotation.Internal;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;

/**
 * Classifies PostgreSQL failures by SQLSTATE: connection, resource and concurrency errors are
 * transient; data and constraint errors reject records; schema, permission and authentication
 * errors are fatal.
 */
@Internal
public final class PostgresErrors implements ErrorClassifier {

    private static final long serialVersionUID = 1L;

    private static final Map<String, String> NAMES =
            Map.ofEntries(
                    Map.entry("23502", "NOT_NULL_VIOLATION"),
                    Map.entry("23503", "FOREIGN_KEY_VIOLATION"),
                    Map.entry("23505", "UNIQUE_VIOLATION"),
                    Map.entry("23514", "CHECK_VIOLATION"),
                    Map.entry("23P01", "EXCLUSION_VIOLATION"),
                    Map.entry("22001", "VALUE_TOO_LONG"),
                    Map.entry("22003", "NUMERIC_OUT_OF_RANGE"),
                    Map.entry("22007", "INVALID_DATETIME_FORMAT"),
                    Map.entry("22008", "DATETIME_OUT_OF_RANGE"),
                    Map.entry("22P02", "INVALID_TEXT_REPRESENTATION"),
                    Map.entry("22021", "INVALID_ENCODING"));

    @Override
    public Kind classify(Throwable error) {
        String state = sqlState(error);
        if (state == null) {
            for (Throwable t = error; t != null; t = t.getCause()) {
                if (t instanceof IOException) {
                    return Kind.TRANSIENT;
                }
            }
            return error instanceof SQLException ? Kind.TRANSIENT : Kind.PERMANENT;
        }
        String sqlClass = state.substring(0, Math.min(2, state.length()));
        switch (sqlClass) {
            case "08": // connection exception
            case "53": // insufficient resources
            case "58": // system error (I/O)
            case "40": // serialization failure, deadlock
            case "25": // invalid transaction state, e.g. after a failover to a replica
            case "57": // operator intervention: admin shutdown, crash, cannot connect now
            case "55": // lock not available, object in use
                return Kind.TRANSIENT;
            case "22": // data exception
            case "23": // integrity constraint violation
                return Kind.PERMANENT;
            default: // 42 (schema, permissions), 28 (auth), 3D (database), 0A, ...
                return Kind.FATAL;
        }
    }

    @Override
    public String reason(Throwable error) {
        String state = sqlState(error);
        if (state == null) {
            return error.getClass().getSimpleName();
        }
        return NAMES.getOrDefault(state, "SQLSTATE_" + state);
    }

    /** The SQLSTATE of the first SQL exception in the cause chain. */
    static String sqlState(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLException && ((SQLException) t).getSQLState() != null) {
                return ((SQLException) t).getSQLState();
            }
        }
        return null;
    }
}
