package io.pipelinekit.core.sink.postgres.internal;

import io.pipelinekit.core.sink.ErrorClassifier;

import org.apache.flink.annotation.Internal;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;

/**
 * Classifies PostgreSQL failures by SQLSTATE: connection, resource and concurrency errors are
 * transient; schema, permission and authentication errors are fatal; everything else (data,
 * constraints, triggers, unknown codes) rejects the records that caused it.
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
                    Map.entry("22021", "INVALID_ENCODING"),
                    Map.entry("21000", "CARDINALITY_VIOLATION"),
                    Map.entry("54000", "PROGRAM_LIMIT_EXCEEDED"),
                    Map.entry("P0001", "RAISED_BY_TRIGGER"));

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
            case "28": // invalid authorization
            case "3D": // invalid catalog (database) name
            case "3F": // invalid schema name
            case "42": // syntax, undefined table or column, insufficient privilege
            case "0A": // feature not supported
                return Kind.FATAL;
            default:
                // 22 (data), 23 (constraints), 21, 44, 54, P0 and 2F/38/39 raised by triggers,
                // and anything unknown: caused by the records, isolated and dead-lettered. A
                // systematic failure then exceeds the dead-letter tolerance, never a restart loop.
                return Kind.PERMANENT;
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
