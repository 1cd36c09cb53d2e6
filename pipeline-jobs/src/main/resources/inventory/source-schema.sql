-- The inventory source database: what the transactional system writes and inventory-sync captures.
CREATE TABLE IF NOT EXISTS warehouses (
    warehouse_id text PRIMARY KEY,
    name         text NOT NULL,
    region       text NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
    product_id text PRIMARY KEY,
    name       text NOT NULL,
    category   text NOT NULL,
    unit_price numeric(10, 2) NOT NULL
);
-- Stock per product and warehouse: the captured table. No CHECK on quantity on purpose: the
-- source is not trusted, inventory-sync checks the invariants.
CREATE TABLE IF NOT EXISTS stock (
    product_id   text NOT NULL REFERENCES products,
    warehouse_id text NOT NULL REFERENCES warehouses,
    quantity     bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, warehouse_id)
);
-- Before-images of updates and deletes (quantityBefore in the change contract).
ALTER TABLE stock REPLICA IDENTITY FULL;
CREATE TABLE IF NOT EXISTS stock_movements (
    movement_id  bigserial PRIMARY KEY,
    product_id   text NOT NULL,
    warehouse_id text NOT NULL,
    delta        bigint NOT NULL,
    reason       text NOT NULL,
    moved_at     timestamptz NOT NULL DEFAULT now()
);
