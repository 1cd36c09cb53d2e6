package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.schemas.inventory.StockLevel;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.StateFixtures;
import io.pipelinekit.testkit.flink.StateFixtures.Backend;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upgrade safety of inventory-sync's stock state: snapshots of earlier releases (versioned fixtures
 * under {@code src/test/resources/state-fixtures/stock-levels}) restore in this build, keep fencing
 * replayed changes by LSN, and compute the same product totals as a run that never stopped. New
 * fixtures: {@code -Dfixtures.write=<version>} (docs/testing.md, "State fixtures").
 */
class StockLevelStateUpgradeTest {

    /** Every release whose state a running deployment may still have. */
    private static final List<String> VERSIONS = List.of("0.1", "0.2");

    private static final StateFixtures FIXTURES =
            StateFixtures.in(Path.of("src/test/resources/state-fixtures/stock-levels"));

    static List<Object[]> fixtures() {
        return StateFixtures.combinations(VERSIONS);
    }

    @ParameterizedTest(name = "state of {0} on {1}")
    @MethodSource("fixtures")
    void aSnapshotOfAnEarlierReleaseRestoresAndFencesAndTotalsAsIfTheJobHadNeverStopped(
            String version, Backend backend) throws Exception {
        List<String> reference;
        int levelsBeforeSnapshot;
        try (var fresh = harness(backend, null)) {
            firstPart(fresh);
            levelsBeforeSnapshot = fresh.extractOutputValues().size();
            secondPart(fresh);
            reference = levels(fresh);
        }

        try (var restored = harness(backend, FIXTURES.read(version, backend))) {
            secondPart(restored);
            assertThat(levels(restored))
                    .as("stock levels after restoring %s state of %s", backend, version)
                    .isEqualTo(reference.subList(levelsBeforeSnapshot, reference.size()))
                    // The replayed change was fenced, the others totalled with restored stock.
                    .containsExactly(
                            "P1/W2=8 total 20 @110",
                            "P2/W1=3 total 3 @111",
                            "P1/W1=1 total 9 @112");
        }
    }

    /** Writes this build's fixtures: {@code -Dfixtures.write=<version>}. */
    @ParameterizedTest(name = "write the {0} fixture")
    @EnumSource(Backend.class)
    @EnabledIfSystemProperty(named = StateFixtures.WRITE_PROPERTY, matches = ".+")
    void writeFixture(Backend backend) throws Exception {
        try (var harness = harness(backend, null)) {
            firstPart(harness);
            FIXTURES.write(
                    StateFixtures.versionToWrite().orElseThrow(),
                    backend,
                    harness.snapshot(1L, 1L));
        }
    }

    /** Two products in two warehouses: inserts, an update and a delete. */
    private static void firstPart(
            KeyedOneInputStreamOperatorTestHarness<String, InventoryChangeEvent, StockLevel> h)
            throws Exception {
        apply(h, SampleRecords.stockChange("P1", "W1", ChangeOperation.INSERT, null, 10L, 100));
        apply(h, SampleRecords.stockChange("P1", "W2", ChangeOperation.INSERT, null, 5L, 101));
        apply(h, SampleRecords.stockChange("P2", "W1", ChangeOperation.INSERT, null, 7L, 102));
        apply(h, SampleRecords.stockChange("P1", "W1", ChangeOperation.UPDATE, 10L, 12L, 103));
        apply(h, SampleRecords.stockChange("P2", "W1", ChangeOperation.DELETE, 7L, null, 104));
    }

    /** A change replayed from before the snapshot, then new ones. */
    private static void secondPart(
            KeyedOneInputStreamOperatorTestHarness<String, InventoryChangeEvent, StockLevel> h)
            throws Exception {
        apply(h, SampleRecords.stockChange("P1", "W1", ChangeOperation.UPDATE, 10L, 12L, 103));
        apply(h, SampleRecords.stockChange("P1", "W2", ChangeOperation.UPDATE, 5L, 8L, 110));
        apply(h, SampleRecords.stockChange("P2", "W1", ChangeOperation.INSERT, null, 3L, 111));
        apply(h, SampleRecords.stockChange("P1", "W1", ChangeOperation.UPDATE, 12L, 1L, 112));
    }

    private static void apply(
            KeyedOneInputStreamOperatorTestHarness<String, InventoryChangeEvent, StockLevel> h,
            InventoryChangeEvent change)
            throws Exception {
        h.processElement(new StreamRecord<>(change));
    }

    private static List<String> levels(
            KeyedOneInputStreamOperatorTestHarness<String, InventoryChangeEvent, StockLevel> h) {
        List<String> levels = new ArrayList<>();
        for (StockLevel level : h.extractOutputValues()) {
            levels.add(
                    level.getProductId()
                            + "/"
                            + level.getWarehouseId()
                            + "="
                            + level.getQuantity()
                            + " total "
                            + level.getProductTotal()
                            + " @"
                            + level.getVersion()
                            + (level.getDeleted() ? " deleted" : ""));
        }
        return levels;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, InventoryChangeEvent, StockLevel>
            harness(Backend backend, OperatorSubtaskState restoreFrom) throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new StockLevelFunction(
                                        DeadLetterPolicy.builder("test").build(),
                                        Set.of("W1", "W2"),
                                        1000)),
                        InventoryChangeEvent::getProductId,
                        Types.STRING);
        harness.setStateBackend(backend.create());
        harness.setup();
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }
}
