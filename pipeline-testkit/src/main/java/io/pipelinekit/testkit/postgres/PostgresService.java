package io.pipelinekit.testkit.postgres;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A running PostgreSQL server for tests with {@code wal_level=logical} and replication slots
 * available, handing out a fresh database per test class.
 */
@PublicEvolving
public interface PostgresService extends AutoCloseable {

    String host();

    int port();

    /** A superuser that may also open replication connections (CDC). */
    String username();

    String password();

    /** Stops the server. Shared instances are stopped by the test kit at JVM exit. */
    @Override
    void close();

    default String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    /** A connection to {@code database} as the superuser; the caller closes it. */
    default Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), username(), password());
    }

    /** Creates a database with a unique name starting with {@code prefix}. */
    default PostgresDatabase createDatabase(String prefix) {
        return createDatabaseNamed(
                (prefix.replaceAll("[^A-Za-z0-9_]", "_")
                                + "_"
                                + UUID.randomUUID().toString().substring(0, 8))
                        .toLowerCase(Locale.ROOT));
    }

    /**
     * Creates the database {@code name} exactly (for state that refers to a database by name, such
     * as a savepoint fixture's CDC splits); fails if it exists.
     */
    default PostgresDatabase createDatabaseNamed(String name) {
        if (!name.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException(
                    "Database name '"
                            + name
                            + "' must be lower case letters, digits and '_', not starting with a"
                            + " digit");
        }
        try (Connection connection = connect("postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create database " + name, e);
        }
        return new PostgresDatabase(this, name);
    }

    /**
     * Drops a database and the inactive replication slots that pin it (PostgreSQL refuses to drop a
     * database that a logical slot still refers to). Active slots fail the drop with the reason.
     */
    default void dropDatabase(String name) {
        try (Connection connection = connect("postgres")) {
            List<String> slots = new ArrayList<>();
            try (PreparedStatement query =
                    connection.prepareStatement(
                            "SELECT slot_name FROM pg_replication_slots WHERE database = ? AND NOT"
                                    + " active")) {
                query.setString(1, name);
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        slots.add(rs.getString(1));
                    }
                }
            }
            for (String slot : slots) {
                try (PreparedStatement drop =
                        connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    drop.setString(1, slot);
                    drop.execute();
                }
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot drop database " + name, e);
        }
    }
}
