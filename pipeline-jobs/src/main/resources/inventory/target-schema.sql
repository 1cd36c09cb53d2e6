-- The inventory-sync target database: current stock per product and warehouse, and totals.
CREATE TABLE IF NOT EXISTS stock_levels (
    product_id   text NOT NULL,
    warehouse_id text NOT NULL,
    quantity     bigint NOT NULL CHECK (quantity >= 0),
    version      bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (product_id, warehouse_id)
);
CREATE TABLE IF NOT EXISTS product_totals (
    product_id text PRIMARY KEY,
    total      bigint NOT NULL,
    warehouses integer NOT NULL,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
