package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.sink.postgres.PostgresConnections;
import io.pipelinekit.jobs.inventory.InventorySyncOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.ReadableConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates the inventory schemas from the SQL files the jar carries. */
@Internal
public final class TargetSchema {

    private TargetSchema() {}

    /** Creates the target tables that do not exist yet. */
    public static void create(ReadableConfig config) throws SQLException {
        try (Connection target =
                PostgresConnections.connect(
                        config.getOptional(InventorySyncOptions.TARGET_URL)
                                .orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        "Sync needs "
                                                                + InventorySyncOptions.TARGET_URL
                                                                        .key())),
                        config.get(InventorySyncOptions.TARGET_USERNAME),
                        config.get(InventorySyncOptions.TARGET_PASSWORD))) {
            run(target, "inventory/target-schema.sql");
        }
    }

    /** Runs a SQL file from the class path (statements separated by ';' at line ends). */
    public static void run(Connection connection, String resource) throws SQLException {
        String sql;
        try (InputStream in = TargetSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing resource " + resource);
            }
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Statement statement = connection.createStatement()) {
            for (String part : sql.split(";\\s*\\n")) {
                String stripped = part.replaceAll("(?m)^--.*$", "").trim();
                if (!stripped.isEmpty()) {
                    statement.execute(stripped);
                }
            }
        }
    }
}
