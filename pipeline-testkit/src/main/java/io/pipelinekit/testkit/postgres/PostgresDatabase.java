package io.pipelinekit.testkit.postgres;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/** One database on a {@link PostgresService}, owned by one test class or test. */
@PublicEvolving
public final class PostgresDatabase {

    private final PostgresService server;
    private final String name;

    PostgresDatabase(PostgresService server, String name) {
        this.server = Objects.requireNonNull(server, "server");
        this.name = Objects.requireNonNull(name, "name");
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    public String host() {
        return server.host();
    }

    public int port() {
        return server.port();
    }

    public String username() {
        return server.username();
    }

    public String password() {
        return server.password();
    }

    /** A new connection (auto-commit); the caller closes it. */
    public Connection connect() throws SQLException {
        return server.connect(name);
    }

    /** Runs each statement in auto-commit mode, failing with the statement that failed. */
    public void execute(String... statements) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                try {
                    statement.execute(sql);
                } catch (SQLException e) {
                    throw new IllegalStateException("Failed in database " + name + ": " + sql, e);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot connect to database " + name, e);
        }
    }

    /** The first column of the first row of {@code query} as a long (e.g. a count). */
    public long queryForLong(String query) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(query)) {
            if (!rs.next()) {
                throw new IllegalStateException("No rows from " + query);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("Failed in database " + name + ": " + query, e);
        }
    }

    /** Drops this database and its inactive replication slots. */
    public void drop() {
        server.dropDatabase(name);
    }

    @Override
    public String toString() {
        return name + " at " + jdbcUrl();
    }
}
