package io.pipelinekit.testkit.postgres;

import io.pipelinekit.testkit.junit5.PostgresExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the embedded PostgreSQL is a real server with logical decoding: a {@code pgoutput} slot
 * sees an insert made after the slot was created.
 */
class PostgresLogicalReplicationITCase {

    @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();

    @Test
    void pgoutputSlotSeesChanges() throws Exception {
        PostgresDatabase db = POSTGRES.database();
        assertThat(
                        db.queryForLong(
                                "SELECT COUNT(*) FROM pg_settings WHERE name = 'wal_level' AND"
                                        + " setting = 'logical'"))
                .isEqualTo(1);

        String slot = "slot_" + db.name();
        db.execute(
                "CREATE TABLE stock (product_id INT PRIMARY KEY, quantity INT NOT NULL)",
                "CREATE PUBLICATION stock_pub FOR TABLE stock",
                "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')",
                "INSERT INTO stock VALUES (42, 7)",
                "UPDATE stock SET quantity = 8 WHERE product_id = 42");

        List<String> messages = new ArrayList<>();
        try (Connection connection = db.connect();
                PreparedStatement peek =
                        connection.prepareStatement(
                                "SELECT encode(data, 'escape') FROM"
                                    + " pg_logical_slot_peek_binary_changes(?, NULL, NULL,"
                                    + " 'proto_version', '1', 'publication_names', 'stock_pub')")) {
            peek.setString(1, slot);
            try (ResultSet rs = peek.executeQuery()) {
                while (rs.next()) {
                    messages.add(rs.getString(1));
                }
            }
        }
        // pgoutput: B(egin), R(elation), I(nsert), C(ommit), then B, U(pdate), C.
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("R").contains("stock"));
        assertThat(messages)
                .anySatisfy(m -> assertThat(m).startsWith("I").contains("42").contains("7"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("U").contains("8"));
        assertThat(
                        db.queryForLong(
                                "SELECT COUNT(*) FROM pg_replication_slots WHERE slot_name = '"
                                        + slot
                                        + "'"))
                .isEqualTo(1);
    }
}
