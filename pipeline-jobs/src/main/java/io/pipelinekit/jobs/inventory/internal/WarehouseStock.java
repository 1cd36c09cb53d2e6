package io.pipelinekit.jobs.inventory.internal;

import org.apache.flink.annotation.Internal;

/**
 * The state of one product in one warehouse (a Flink POJO, so its state can evolve by adding
 * fields).
 */
@Internal
public class WarehouseStock {
    public long quantity;

    /** LSN of the latest applied change: the fence against replays and reordering. */
    public long version;

    public boolean deleted;

    /** Source commit time of the latest applied change. */
    public long updatedAtMillis;

    public WarehouseStock() {}

    WarehouseStock(long quantity, long version, boolean deleted, long updatedAtMillis) {
        this.quantity = quantity;
        this.version = version;
        this.deleted = deleted;
        this.updatedAtMillis = updatedAtMillis;
    }
}
