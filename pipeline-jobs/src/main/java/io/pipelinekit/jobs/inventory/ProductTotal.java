package io.pipelinekit.jobs.inventory;

import org.apache.flink.annotation.PublicEvolving;

import java.time.Instant;
import java.util.Objects;

/**
 * Stock of a product across all warehouses, as of the changes applied so far (a Flink POJO: public
 * fields, no-argument constructor, so it never falls back to Kryo).
 */
@PublicEvolving
public class ProductTotal {

    public String productId;

    /** Sum of the quantities of the product's live warehouse rows. */
    public long total;

    /** Number of live warehouse rows. */
    public int warehouses;

    /**
     * Sum of the versions (LSNs) of all warehouse rows, deleted ones included: it grows with every
     * applied change and does not depend on the order in which warehouses' changes arrive.
     */
    public long version;

    public long updatedAtMillis;

    public ProductTotal() {}

    public ProductTotal(
            String productId, long total, int warehouses, long version, long updatedAtMillis) {
        this.productId = productId;
        this.total = total;
        this.warehouses = warehouses;
        this.version = version;
        this.updatedAtMillis = updatedAtMillis;
    }

    public Instant updatedAt() {
        return Instant.ofEpochMilli(updatedAtMillis);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ProductTotal)) {
            return false;
        }
        ProductTotal other = (ProductTotal) o;
        return total == other.total
                && warehouses == other.warehouses
                && version == other.version
                && updatedAtMillis == other.updatedAtMillis
                && Objects.equals(productId, other.productId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(productId, total, warehouses, version, updatedAtMillis);
    }

    @Override
    public String toString() {
        return productId + ": " + total + " in " + warehouses + " warehouses @" + version;
    }
}
