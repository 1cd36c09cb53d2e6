package io.pipelinekit.jobs.inventory;

import io.pipelinekit.jobs.inventory.internal.TargetSchema;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The inventory source database of tests and the demo: schema, a seeded catalogue (products x
 * warehouses) and a seeded random workload of stock movements, new stock rows and deletions, each
 * in its own transaction, as an order system would write them.
 */
public final class InventoryWorkload implements AutoCloseable {

    private final Connection db;
    private final Random random;
    private final List<String> products = new ArrayList<>();
    private final List<String> warehouses = new ArrayList<>();
    private final Map<String, Long> live = new HashMap<>();
    private final List<String> liveKeys = new ArrayList<>();
    private final List<String> deleted = new ArrayList<>();
    private final java.util.Set<String> touched = new java.util.TreeSet<>();
    private long movements;
    private long inserts;
    private long deletes;

    public InventoryWorkload(String jdbcUrl, String user, String password, long seed)
            throws SQLException {
        this.db = DriverManager.getConnection(jdbcUrl, user, password);
        this.random = new Random(seed);
    }

    /** Creates the source tables and {@code products x warehouses} stock rows. */
    public InventoryWorkload seed(int productCount, int warehouseCount) throws SQLException {
        TargetSchema.run(db, "inventory/source-schema.sql");
        try (Statement statement = db.createStatement()) {
            statement.execute(
                    "INSERT INTO warehouses SELECT 'W' || lpad(i::text, 2, '0'), 'Warehouse ' ||"
                            + " i, (ARRAY['north','south','east','west'])[1 + i % 4] FROM"
                            + " generate_series(1, "
                            + warehouseCount
                            + ") AS i");
            statement.execute(
                    "INSERT INTO products SELECT 'P' || lpad(i::text, 6, '0'), 'Product ' || i,"
                            + " 'category-' || (i % 20), 1 + (i % 997) / 10.0 FROM"
                            + " generate_series(1, "
                            + productCount
                            + ") AS i");
            statement.execute(
                    "INSERT INTO stock (product_id, warehouse_id, quantity) SELECT p.product_id,"
                            + " w.warehouse_id, ('x' || substr(md5(p.product_id ||"
                            + " w.warehouse_id), 1, 4))::bit(16)::int % 500 FROM products p CROSS"
                            + " JOIN warehouses w");
        }
        load();
        return this;
    }

    /** Reads the current products, warehouses and stock rows (after a seed or from a restart). */
    public InventoryWorkload load() throws SQLException {
        products.clear();
        warehouses.clear();
        live.clear();
        liveKeys.clear();
        try (Statement statement = db.createStatement()) {
            try (ResultSet rs = statement.executeQuery("SELECT product_id FROM products")) {
                while (rs.next()) {
                    products.add(rs.getString(1));
                }
            }
            try (ResultSet rs = statement.executeQuery("SELECT warehouse_id FROM warehouses")) {
                while (rs.next()) {
                    warehouses.add(rs.getString(1));
                }
            }
            try (ResultSet rs =
                    statement.executeQuery(
                            "SELECT product_id || '/' || warehouse_id, quantity FROM stock")) {
                while (rs.next()) {
                    live.put(rs.getString(1), rs.getLong(2));
                    liveKeys.add(rs.getString(1));
                }
            }
        }
        return this;
    }

    public List<String> warehouses() {
        return warehouses;
    }

    /**
     * Applies {@code count} changes of single stock rows: about 80% movements (quantity changes,
     * logged in stock_movements), 10% new stock rows, 10% deleted rows.
     */
    public void applyChanges(int count) throws SQLException {
        for (int i = 0; i < count; i++) {
            int dice = random.nextInt(10);
            if (dice == 0 && liveKeys.size() > 1) {
                delete();
            } else if (dice == 1 && !deleted.isEmpty()) {
                reinsert();
            } else {
                move();
            }
        }
    }

    private void move() throws SQLException {
        String key = liveKeys.get(random.nextInt(liveKeys.size()));
        long current = live.get(key);
        long delta = random.nextInt(41) - 20;
        if (current + delta < 0) {
            delta = -current;
        }
        String[] parts = key.split("/");
        db.setAutoCommit(false);
        try (PreparedStatement update =
                        db.prepareStatement(
                                "UPDATE stock SET quantity = quantity + ?, updated_at = now()"
                                        + " WHERE product_id = ? AND warehouse_id = ?");
                PreparedStatement log =
                        db.prepareStatement(
                                "INSERT INTO stock_movements (product_id, warehouse_id, delta,"
                                        + " reason) VALUES (?, ?, ?, ?)")) {
            update.setLong(1, delta);
            update.setString(2, parts[0]);
            update.setString(3, parts[1]);
            update.executeUpdate();
            log.setString(1, parts[0]);
            log.setString(2, parts[1]);
            log.setLong(3, delta);
            log.setString(4, delta >= 0 ? "receipt" : "shipment");
            log.executeUpdate();
            db.commit();
        } finally {
            db.setAutoCommit(true);
        }
        live.put(key, current + delta);
        touched.add(key);
        movements++;
    }

    private void delete() throws SQLException {
        int index = random.nextInt(liveKeys.size());
        String key = liveKeys.get(index);
        String[] parts = key.split("/");
        try (PreparedStatement delete =
                db.prepareStatement(
                        "DELETE FROM stock WHERE product_id = ? AND warehouse_id = ?")) {
            delete.setString(1, parts[0]);
            delete.setString(2, parts[1]);
            delete.executeUpdate();
        }
        live.remove(key);
        liveKeys.set(index, liveKeys.get(liveKeys.size() - 1));
        liveKeys.remove(liveKeys.size() - 1);
        deleted.add(key);
        touched.add(key);
        deletes++;
    }

    private void reinsert() throws SQLException {
        String key = deleted.remove(random.nextInt(deleted.size()));
        String[] parts = key.split("/");
        long quantity = random.nextInt(300);
        try (PreparedStatement insert =
                db.prepareStatement(
                        "INSERT INTO stock (product_id, warehouse_id, quantity) VALUES (?, ?,"
                                + " ?)")) {
            insert.setString(1, parts[0]);
            insert.setString(2, parts[1]);
            insert.setLong(3, quantity);
            insert.executeUpdate();
        }
        live.put(key, quantity);
        liveKeys.add(key);
        touched.add(key);
        inserts++;
    }

    /** Sets one row's quantity directly (e.g. a negative one, which breaks an invariant). */
    void setQuantity(String productId, String warehouseId, long quantity) throws SQLException {
        try (PreparedStatement update =
                db.prepareStatement(
                        "UPDATE stock SET quantity = ? WHERE product_id = ? AND warehouse_id ="
                                + " ?")) {
            update.setLong(1, quantity);
            update.setString(2, productId);
            update.setString(3, warehouseId);
            update.executeUpdate();
        }
        live.put(productId + "/" + warehouseId, quantity);
    }

    /** The keys (product/warehouse) changed since the last call; starts a new set. */
    java.util.Set<String> takeTouchedKeys() {
        java.util.Set<String> keys = new java.util.TreeSet<>(touched);
        touched.clear();
        return keys;
    }

    /** Changes of stock rows applied so far (each one row, one source transaction). */
    public long changes() {
        return movements + inserts + deletes;
    }

    @Override
    public String toString() {
        return movements + " movements, " + inserts + " new rows, " + deletes + " deletions";
    }

    /** product/warehouse -> quantity of a table with those columns. */
    static Map<String, Long> stock(Connection db, String table) throws SQLException {
        Map<String, Long> rows = new TreeMap<>();
        try (Statement statement = db.createStatement();
                ResultSet rs =
                        statement.executeQuery(
                                "SELECT product_id, warehouse_id, quantity FROM " + table)) {
            while (rs.next()) {
                rows.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
            }
        }
        return rows;
    }

    @Override
    public void close() throws SQLException {
        db.close();
    }
}
