package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** LSN fencing, totals and invariant checks of the keyed stock state, in Flink's operator. */
class StockLevelFunctionTest {

    private KeyedOneInputStreamOperatorTestHarness<String, InventoryChangeEvent, StockLevel>
            harness;

    @BeforeEach
    void open() throws Exception {
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new StockLevelFunction(
                                        DeadLetterPolicy.builder("test").build(),
                                        Set.of("W1", "W2"),
                                        1000)),
                        InventoryChangeEvent::getProductId,
                        Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static InventoryChangeEvent change(
            String warehouse, ChangeOperation op, Long before, Long after, long lsn) {
        return InventoryChangeEvent.newBuilder()
                .setProductId("P1")
                .setWarehouseId(warehouse)
                .setOperation(op)
                .setQuantityBefore(before)
                .setQuantityAfter(after)
                .setSourceTable("public.stock")
                .setLsn(lsn)
                .setTransactionId(null)
                .setSourceTimestamp(Instant.ofEpochMilli(lsn))
                .setCapturedAt(Instant.ofEpochMilli(lsn))
                .build();
    }

    private List<String> levels() {
        return harness.extractOutputValues().stream()
                .map(
                        l ->
                                l.getWarehouseId()
                                        + "="
                                        + l.getQuantity()
                                        + " total "
                                        + l.getProductTotal()
                                        + " @"
                                        + l.getVersion()
                                        + (l.getDeleted() ? " deleted" : ""))
                .collect(Collectors.toList());
    }

    private List<String> deadLetterReasons() {
        return harness.getSideOutput(DeadLetters.TAG) == null
                ? List.of()
                : harness.getSideOutput(DeadLetters.TAG).stream()
                        .map(StreamRecord::getValue)
                        .map(DeadLetter::getReason)
                        .collect(Collectors.toList());
    }

    @Test
    void replayedAndOlderChangesNeverRegressAndTotalsSpanWarehouses() throws Exception {
        harness.processElement(change("W1", ChangeOperation.SNAPSHOT, null, 10L, 100), 0);
        harness.processElement(change("W2", ChangeOperation.SNAPSHOT, null, 5L, 100), 0);
        harness.processElement(change("W1", ChangeOperation.UPDATE, 10L, 12L, 200), 0);
        harness.processElement(change("W1", ChangeOperation.UPDATE, 10L, 12L, 200), 0); // replay
        harness.processElement(change("W1", ChangeOperation.UPDATE, 9L, 10L, 150), 0); // older
        harness.processElement(change("W2", ChangeOperation.DELETE, 5L, null, 300), 0);

        assertThat(levels())
                .containsExactly(
                        "W1=10 total 10 @100",
                        "W2=5 total 15 @100",
                        "W1=12 total 17 @200",
                        "W2=0 total 12 @300 deleted");
        assertThat(deadLetterReasons()).isEmpty();
    }

    @Test
    void invariantViolationsAreDeadLetteredWithoutBeingApplied() throws Exception {
        harness.processElement(change("W1", ChangeOperation.INSERT, null, 10L, 100), 0);
        harness.processElement(change("W1", ChangeOperation.UPDATE, 10L, -3L, 110), 0);
        harness.processElement(change("W9", ChangeOperation.INSERT, null, 1L, 120), 0);
        harness.processElement(change("W1", ChangeOperation.UPDATE, 10L, 5000L, 130), 0);
        // The source moved on from 5000: judged on its own before-image, not against 10.
        harness.processElement(change("W1", ChangeOperation.UPDATE, 5000L, 4990L, 140), 0);

        assertThat(deadLetterReasons())
                .containsExactly("NEGATIVE_STOCK", "UNKNOWN_WAREHOUSE", "IMPOSSIBLE_JUMP");
        assertThat(levels()).containsExactly("W1=10 total 10 @100", "W1=4990 total 4990 @140");
    }
}
