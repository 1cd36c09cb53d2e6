-- The inventory-sync target database: current stock per product and warehouse, and totals.
CREATE TABLE IF NOT EXISTS stock_levels (
    product_id   text NOT NULL,
    warehouse_id text NOT NULL,
    quantity     bigint NOT NULL CHECK (quantity >= 0),
    version      bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (product_id, warehouse_id)
);
-- Totals per product, always consistent with stock_levels: a view, not a second table that a
-- version fence would have to keep in step (and that could drift from it).
CREATE OR REPLACE VIEW product_totals AS
SELECT product_id,
       sum(quantity)::bigint AS total,
       count(*)::integer     AS warehouses,
       max(version)          AS version,
       max(updated_at)       AS updated_at
FROM stock_levels
GROUP BY product_id;
