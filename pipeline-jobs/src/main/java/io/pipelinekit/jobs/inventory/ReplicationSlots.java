package io.pipelinekit.jobs.inventory;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Replication-slot hygiene: a slot keeps the source's WAL until its consumer confirms it, so a slot
 * whose deployment is gone fills the source's disk. Each deployment has its own slot; its lag is a
 * metric; retiring a deployment drops its slot (and the publication created for it).
 */
@PublicEvolving
public final class ReplicationSlots {

    private ReplicationSlots() {}

    /** A slot as {@code pg_replication_slots} shows it. */
    public static final class Slot {
        public final String name;
        public final boolean active;

        /** WAL bytes the source keeps for the slot (current position - confirmed position). */
        public final long lagBytes;

        Slot(String name, boolean active, long lagBytes) {
            this.name = name;
            this.active = active;
            this.lagBytes = lagBytes;
        }

        @Override
        public String toString() {
            return name + (active ? " (active)" : " (inactive)") + ", lag " + lagBytes + " bytes";
        }
    }

    /** The slot, if it exists. */
    public static Optional<Slot> find(Connection source, String slotName) throws SQLException {
        try (PreparedStatement query =
                source.prepareStatement(
                        "SELECT slot_name, active, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(),"
                                + " confirmed_flush_lsn), 0)::bigint FROM pg_replication_slots"
                                + " WHERE slot_name = ?")) {
            query.setString(1, slotName);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next()
                        ? Optional.of(new Slot(rs.getString(1), rs.getBoolean(2), rs.getLong(3)))
                        : Optional.empty();
            }
        }
    }

    /**
     * Drops the slot and its publication ({@code <slot>_publication}) of a retired deployment.
     *
     * @return whether a slot was dropped (false: there was none)
     * @throws IllegalStateException when the slot is still in use: stop the job first
     */
    public static boolean drop(Connection source, String slotName) throws SQLException {
        Optional<Slot> slot = find(source, slotName);
        if (slot.isPresent() && slot.get().active) {
            throw new IllegalStateException(
                    "Replication slot '"
                            + slotName
                            + "' is in use by a running job: stop the deployment (with a"
                            + " savepoint if it may come back) before dropping its slot.");
        }
        if (slot.isPresent()) {
            try (PreparedStatement drop =
                    source.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                drop.setString(1, slotName);
                drop.execute();
            }
        }
        try (PreparedStatement drop =
                source.prepareStatement(
                        "DROP PUBLICATION IF EXISTS " + quoted(publicationName(slotName)))) {
            drop.execute();
        }
        return slot.isPresent();
    }

    /** The publication inventory-sync creates for a slot. */
    public static String publicationName(String slotName) {
        return slotName + "_publication";
    }

    /** The source's current WAL position as a number (LSNs order changes). */
    public static long currentLsn(Connection source) throws SQLException {
        try (PreparedStatement query =
                        source.prepareStatement("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn");
                ResultSet rs = query.executeQuery()) {
            rs.next();
            return rs.getBigDecimal(1).longValueExact();
        }
    }

    private static String quoted(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }
}
