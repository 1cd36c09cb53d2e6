package io.pipelinekit.testkit.postgres;

import io.pipelinekit.testkit.chaos.FaultInjector;
import io.pipelinekit.testkit.chaos.FaultKind;
import io.pipelinekit.testkit.chaos.FaultPlan;
import io.pipelinekit.testkit.chaos.TableEquality;
import io.pipelinekit.testkit.chaos.TableEqualityResult;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PostgreSQL crash-restarts keep committed data; a sink's connections can be terminated; and {@link
 * TableEquality} finds drift between real tables.
 */
class PostgresRestartITCase {

    private static EmbeddedPostgresServer server;
    private static PostgresDatabase db;

    @BeforeAll
    static void start() {
        server = EmbeddedPostgresServer.builder().build().start();
        db = server.createDatabase("restart");
        db.execute(
                "CREATE TABLE source (id INT PRIMARY KEY, quantity INT NOT NULL)",
                "CREATE TABLE target (id INT PRIMARY KEY, quantity INT NOT NULL)",
                "INSERT INTO source SELECT g, g * 10 FROM generate_series(1, 1000) g",
                "INSERT INTO target SELECT * FROM source");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCrashRestartKeepsCommittedDataOnTheSamePort() throws Exception {
        int port = server.port();
        try (Connection open = db.connect();
                Statement statement = open.createStatement()) {
            statement.execute("INSERT INTO source VALUES (5000, 1)");
            server.kill();
            assertThat(server.isRunning()).isFalse();
            assertThatThrownBy(() -> statement.execute("SELECT 1"))
                    .isInstanceOf(SQLException.class);
        }
        assertThatThrownBy(db::connect).isInstanceOf(SQLException.class);

        server.restart();
        assertThat(server.isRunning()).isTrue();
        assertThat(server.port()).isEqualTo(port);
        assertThat(db.queryForLong("SELECT count(*) FROM source")).isEqualTo(1001);
        assertThat(db.queryForLong("SELECT quantity FROM source WHERE id = 5000")).isEqualTo(1);
        db.execute("DELETE FROM source WHERE id = 5000");
        // Restarting a running server works too.
        server.restart();
        assertThat(db.queryForLong("SELECT count(*) FROM source")).isEqualTo(1000);
    }

    @Test
    void tableEqualityFindsDriftBetweenRealTables() {
        TableEquality equality =
                TableEquality.builder()
                        .source(db::connect, "SELECT id, quantity FROM source")
                        .target(db::connect, "SELECT id, quantity FROM target")
                        .build();
        equality.check().assertHolds();
        db.execute(
                "UPDATE target SET quantity = -1 WHERE id = 7",
                "DELETE FROM target WHERE id = 8",
                "INSERT INTO target VALUES (2000, 1)");
        try {
            TableEqualityResult drift = equality.check();
            assertThat(drift.isClean()).isFalse();
            assertThat(drift.different()).isEqualTo(1);
            assertThat(drift.missing()).isEqualTo(1);
            assertThat(drift.extra()).isEqualTo(1);
            assertThat(drift.summary())
                    .contains("~ differs   id=7: quantity source=70 target=-1")
                    .contains("- missing   id=8")
                    .contains("+ extra     id=2000");
        } finally {
            db.execute(
                    "UPDATE target SET quantity = 70 WHERE id = 7",
                    "INSERT INTO target VALUES (8, 80)",
                    "DELETE FROM target WHERE id = 2000");
        }
    }

    @Test
    void theInjectorKillsOnlyASinksConnectionsThenCrashRestartsTheServer() throws Exception {
        try (Connection sink =
                        DriverManager.getConnection(
                                db.jdbcUrl() + "?ApplicationName=orders-sink-1",
                                db.username(),
                                db.password());
                Connection bystander = db.connect()) {
            try (FaultInjector injector =
                    FaultInjector.builder(plan(FaultKind.SINK_CONNECTIONS_KILLED))
                            .sinkConnections(server, "orders-sink%")
                            .build()
                            .start()) {
                injector.awaitCompletion(Duration.ofMinutes(1));
                assertThat(injector.events()).hasSize(1);
                assertThat(injector.events().get(0).note())
                        .isEqualTo(
                                "1 connection(s) with application_name LIKE 'orders-sink%'"
                                        + " terminated");
            }
            assertThat(sink.isValid(2)).isFalse();
            assertThat(bystander.isValid(2)).isTrue();

            try (FaultInjector injector =
                    FaultInjector.builder(plan(FaultKind.POSTGRES_RESTART))
                            .postgres(server)
                            .build()
                            .start()) {
                injector.awaitCompletion(Duration.ofMinutes(2));
                assertThat(injector.events().get(0).downtime().orElseThrow())
                        .isGreaterThanOrEqualTo(Duration.ofMillis(500));
            }
            assertThat(bystander.isValid(2)).isFalse();
        }
        assertThat(server.isRunning()).isTrue();
        assertThat(db.queryForLong("SELECT count(*) FROM source")).isEqualTo(1000);
    }

    private static FaultPlan plan(FaultKind kind) {
        return FaultPlan.builder()
                .seed(11)
                .faults(1)
                .kinds(kind)
                .spacing(Duration.ZERO, Duration.ofMillis(100))
                .downtime(Duration.ofMillis(500), Duration.ofMillis(500))
                .build();
    }
}
