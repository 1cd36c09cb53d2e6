package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterReporter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Instant;
import java.util.Set;

/**
 * Keeps the stock of each product per warehouse (keyed by product), fenced by LSN so that replayed
 * and reordered changes never regress a value; emits the warehouse's {@link StockLevel} and the
 * product's total across warehouses for every applied change, and dead-letters changes that break
 * an invariant (negative stock, unknown warehouse, impossible jump) without applying them.
 */
@Internal
public final class StockLevelFunction
        extends KeyedProcessFunction<String, InventoryChangeEvent, StockLevel> {

    private static final long serialVersionUID = 1L;

    private final DeadLetterPolicy policy;
    private final Set<String> knownWarehouses;
    private final long maxJump;

    private transient MapState<String, WarehouseStock> stock;
    private transient DeadLetterReporter rejects;
    private transient Counter applied;
    private transient Counter stale;

    public StockLevelFunction(DeadLetterPolicy policy, Set<String> knownWarehouses, long maxJump) {
        this.policy = policy;
        this.knownWarehouses = Set.copyOf(knownWarehouses);
        this.maxJump = maxJump;
    }

    @Override
    public void open(OpenContext context) {
        stock =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "stock-by-warehouse",
                                        Types.STRING,
                                        TypeInformation.of(WarehouseStock.class)));
        rejects =
                DeadLetterReporter.create(
                        policy, "stock-levels", getRuntimeContext().getMetricGroup());
        applied = getRuntimeContext().getMetricGroup().counter("changesApplied");
        stale = getRuntimeContext().getMetricGroup().counter("staleChangesSkipped");
    }

    @Override
    public void processElement(InventoryChangeEvent change, Context ctx, Collector<StockLevel> out)
            throws Exception {
        String warehouse = change.getWarehouseId();
        WarehouseStock current = stock.get(warehouse);
        if (current != null && change.getLsn() <= current.version) {
            stale.inc();
            return;
        }
        boolean delete = change.getOperation() == ChangeOperation.DELETE;
        String violation = violation(change, current, delete);
        if (violation != null) {
            rejects.reject(
                    change,
                    FailureStage.VALIDATE,
                    violation.substring(0, violation.indexOf(':')),
                    violation.substring(violation.indexOf(':') + 2),
                    ctx::output);
            return;
        }
        long quantity = delete ? 0 : change.getQuantityAfter();
        Instant updatedAt =
                change.getSourceTimestamp().toEpochMilli() > 0
                        ? change.getSourceTimestamp()
                        : change.getCapturedAt();
        stock.put(
                warehouse,
                new WarehouseStock(quantity, change.getLsn(), delete, updatedAt.toEpochMilli()));
        applied.inc();

        long total = 0;
        for (WarehouseStock entry : stock.values()) {
            if (!entry.deleted) {
                total += entry.quantity;
            }
        }
        out.collect(
                StockLevel.newBuilder()
                        .setProductId(change.getProductId())
                        .setWarehouseId(warehouse)
                        .setQuantity(quantity)
                        .setProductTotal(total)
                        .setVersion(change.getLsn())
                        .setDeleted(delete)
                        .setUpdatedAt(updatedAt)
                        .build());
    }

    /** "REASON: message" when the change breaks an invariant, else null. */
    private String violation(InventoryChangeEvent change, WarehouseStock current, boolean delete) {
        if (!knownWarehouses.isEmpty() && !knownWarehouses.contains(change.getWarehouseId())) {
            return "UNKNOWN_WAREHOUSE: warehouse '"
                    + change.getWarehouseId()
                    + "' is not one of "
                    + knownWarehouses;
        }
        if (delete) {
            return null;
        }
        Long after = change.getQuantityAfter();
        if (after == null) {
            return "MISSING_QUANTITY: a " + change.getOperation() + " without quantityAfter";
        }
        if (after < 0) {
            return "NEGATIVE_STOCK: quantity "
                    + after
                    + " of product "
                    + change.getProductId()
                    + " in warehouse "
                    + change.getWarehouseId();
        }
        // The jump of the change itself (its before-image), not against the last applied value:
        // after one rejected jump, later changes of the row are judged on their own.
        Long before =
                change.getQuantityBefore() != null
                        ? change.getQuantityBefore()
                        : current != null && !current.deleted
                                ? Long.valueOf(current.quantity)
                                : null;
        if (maxJump > 0 && before != null) {
            long jump = Math.abs(after - before);
            if (jump > maxJump) {
                return "IMPOSSIBLE_JUMP: quantity "
                        + before
                        + " -> "
                        + after
                        + " (more than "
                        + maxJump
                        + ") for product "
                        + change.getProductId()
                        + " in warehouse "
                        + change.getWarehouseId();
            }
        }
        return null;
    }
}
