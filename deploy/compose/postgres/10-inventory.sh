#!/usr/bin/env bash
# The inventory-sync demo databases, created by the postgres image on its first start (empty data
# directory): the job's user (REPLICATION, owner of the captured table), the source database with
# pipeline-jobs/src/main/resources/inventory/source-schema.sql and seed rows, and the target
# database, whose tables the job creates itself (inventory.target.create-tables).
set -e

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=user="$INVENTORY_DB_USER" --set=password="$INVENTORY_DB_PASSWORD" \
    --set=source_db="$INVENTORY_SOURCE_DB" --set=target_db="$INVENTORY_TARGET_DB" <<'SQL'
CREATE ROLE :"user" WITH LOGIN REPLICATION PASSWORD :'password';
CREATE DATABASE :"source_db" OWNER :"user";
CREATE DATABASE :"target_db" OWNER :"user";
SQL

# As the job's user, so that it owns the tables (it creates the publication for stock).
psql -v ON_ERROR_STOP=1 --username "$INVENTORY_DB_USER" --dbname "$INVENTORY_SOURCE_DB" \
    --file /opt/pipelinekit/sql/source-schema.sql

# 1,000 products x 5 warehouses, as InventoryWorkload seeds them (W01..W05, P000001..).
psql -v ON_ERROR_STOP=1 --username "$INVENTORY_DB_USER" --dbname "$INVENTORY_SOURCE_DB" <<'SQL'
INSERT INTO warehouses
SELECT 'W' || lpad(i::text, 2, '0'), 'Warehouse ' || i, (ARRAY['north','south','east','west'])[1 + i % 4]
FROM generate_series(1, 5) AS i;
INSERT INTO products
SELECT 'P' || lpad(i::text, 6, '0'), 'Product ' || i, 'category-' || (i % 20), 1 + (i % 997) / 10.0
FROM generate_series(1, 1000) AS i;
INSERT INTO stock (product_id, warehouse_id, quantity)
SELECT p.product_id, w.warehouse_id, ('x' || substr(md5(p.product_id || w.warehouse_id), 1, 4))::bit(16)::int % 500
FROM products p CROSS JOIN warehouses w;
SQL
