package io.pipelinekit.core.sink.postgres;

import org.apache.flink.annotation.PublicEvolving;

import javax.annotation.Nullable;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens PostgreSQL connections with the driver class itself: in a Flink job, the driver sits in the
 * job jar's user-code class loader, where {@code DriverManager} does not find it ("No suitable
 * driver found"), neither in {@code main} on the JobManager nor in tasks.
 */
@PublicEvolving
public final class PostgresConnections {

    private static final org.postgresql.Driver DRIVER = new org.postgresql.Driver();

    private PostgresConnections() {}

    public static Connection connect(
            String jdbcUrl, @Nullable String username, @Nullable String password)
            throws SQLException {
        Properties properties = new Properties();
        if (username != null) {
            properties.setProperty("user", username);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        return connect(jdbcUrl, properties);
    }

    public static Connection connect(String jdbcUrl, Properties properties) throws SQLException {
        Connection connection = DRIVER.connect(jdbcUrl, properties);
        if (connection == null) {
            throw new SQLException(
                    "Not a PostgreSQL JDBC URL: "
                            + jdbcUrl
                            + " (expected jdbc:postgresql://host:port/database)");
        }
        return connection;
    }
}
