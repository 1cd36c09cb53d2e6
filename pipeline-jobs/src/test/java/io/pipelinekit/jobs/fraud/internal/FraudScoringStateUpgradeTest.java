package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.StateFixtures;
import io.pipelinekit.testkit.flink.StateFixtures.Backend;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.pipelinekit.jobs.fraud.rules.Payments.EPOCH;
import static io.pipelinekit.jobs.fraud.rules.Payments.online;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upgrade safety of the scoring operator's state: snapshots taken by earlier releases (versioned
 * fixtures under {@code src/test/resources/state-fixtures/fraud-scoring}) restore in this build,
 * and the restored operator goes on exactly as one that never stopped.
 *
 * <p>A release that changes the operator's state writes a new fixture: run this class with {@code
 * -Dfixtures.write=<version>}, add the version to {@link #VERSIONS} and commit the files; the older
 * fixtures stay and must keep passing (docs/testing.md, "State fixtures").
 */
class FraudScoringStateUpgradeTest {

    /** Every release whose state a running deployment may still have. */
    private static final List<String> VERSIONS = List.of("0.1", "0.2");

    private static final StateFixtures FIXTURES =
            StateFixtures.in(Path.of("src/test/resources/state-fixtures/fraud-scoring"));

    private static final Duration MAX_AGE = Duration.ofHours(1);
    private static final Duration TTL = Duration.ofDays(30);

    static List<Object[]> fixtures() {
        return StateFixtures.combinations(VERSIONS);
    }

    @ParameterizedTest(name = "state of {0} on {1}")
    @MethodSource("fixtures")
    void aSnapshotOfAnEarlierReleaseRestoresAndScoresAsIfTheJobHadNeverStopped(
            String version, Backend backend) throws Exception {
        // The reference: this build, never stopped.
        List<String> reference;
        int alertsBeforeSnapshot;
        try (var fresh = harness(backend, null)) {
            rules(fresh);
            firstPart(fresh);
            alertsBeforeSnapshot = alerts(fresh).size();
            secondPart(fresh);
            reference = alerts(fresh);
        }
        assertThat(reference).hasSizeGreaterThan(alertsBeforeSnapshot);

        OperatorSubtaskState snapshot = FIXTURES.read(version, backend);
        try (var restored = harness(backend, snapshot)) {
            // Rules come from the snapshot's broadcast state, not from a new publication.
            secondPart(restored);
            assertThat(alerts(restored))
                    .as("alerts after restoring %s state of %s", backend, version)
                    .isEqualTo(reference.subList(alertsBeforeSnapshot, reference.size()));
            // The restored state is cleaned up like new state: nothing is left behind (the
            // harness counts state entries on heap only).
            if (backend == Backend.HASHMAP) {
                assertThat(restored.numKeyedStateEntries()).isZero();
            }
            assertThat(restored.numEventTimeTimers()).isZero();
        }
    }

    /** Writes this build's fixtures: {@code -Dfixtures.write=<version>}. */
    @ParameterizedTest(name = "write the {0} fixture")
    @EnumSource(Backend.class)
    @EnabledIfSystemProperty(named = StateFixtures.WRITE_PROPERTY, matches = ".+")
    void writeFixture(Backend backend) throws Exception {
        try (var harness = harness(backend, null)) {
            rules(harness);
            firstPart(harness);
            FIXTURES.write(
                    StateFixtures.versionToWrite().orElseThrow(),
                    backend,
                    harness.snapshot(1L, 1L));
        }
    }

    private static void rules(KeyedTwoInputStreamOperatorTestHarness<?, ?, RuleUpdate, ?> harness)
            throws Exception {
        harness.processElement2(
                new StreamRecord<>(RuleUpdate.of(FraudRules.velocity(1, 60, 2, null))));
        harness.processElement2(
                new StreamRecord<>(RuleUpdate.of(FraudRules.amountAnomaly(1, 3, 10, 3.0))));
    }

    /**
     * Three cards with history, a velocity burst split by the snapshot, and payments still waiting
     * for the watermark when it is taken.
     */
    private static void firstPart(
            KeyedTwoInputStreamOperatorTestHarness<String, PaymentTransaction, ?, ?> harness)
            throws Exception {
        for (int i = 0; i < 12; i++) {
            tx(harness, online("steady", String.valueOf(10 + i % 3), i * 120L));
        }
        for (int i = 0; i < 4; i++) {
            tx(harness, online("burst", "5", 1000 + i * 10L));
        }
        tx(harness, online("quiet", "40", 500));
        watermark(harness, 1015);
        // Pending at the snapshot: behind the watermark's next step.
        tx(harness, online("burst", "5", 1040));
        tx(harness, online("steady", "900", 1500));
    }

    /** More payments, then event time runs out so every timer fires and state is cleaned up. */
    private static void secondPart(
            KeyedTwoInputStreamOperatorTestHarness<String, PaymentTransaction, ?, ?> harness)
            throws Exception {
        tx(harness, online("burst", "5", 1050));
        tx(harness, online("quiet", "41", 1600));
        tx(harness, online("steady", "11", 1700));
        tx(harness, online("steady", "950", 1800));
        watermark(harness, 2000);
        tx(harness, online("quiet", "400", 2100));
        harness.processWatermark1(Watermark.MAX_WATERMARK);
    }

    private static void tx(
            KeyedTwoInputStreamOperatorTestHarness<String, PaymentTransaction, ?, ?> harness,
            PaymentTransaction tx)
            throws Exception {
        harness.processElement1(new StreamRecord<>(tx, tx.getEventTime().toEpochMilli()));
    }

    private static void watermark(
            KeyedTwoInputStreamOperatorTestHarness<?, ?, ?, ?> harness, long second)
            throws Exception {
        harness.processWatermark1(new Watermark(EPOCH.toEpochMilli() + second * 1000));
    }

    private static List<String> alerts(
            KeyedTwoInputStreamOperatorTestHarness<?, ?, ?, FraudAlert> harness) {
        List<String> keys = new ArrayList<>();
        for (FraudAlert alert : harness.extractOutputValues()) {
            keys.add(alert.getAlertId().toString());
        }
        return keys;
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, PaymentTransaction, RuleUpdate, FraudAlert>
            harness(Backend backend, OperatorSubtaskState restoreFrom) throws Exception {
        CoBroadcastWithKeyedOperator<String, PaymentTransaction, RuleUpdate, FraudAlert> operator =
                new CoBroadcastWithKeyedOperator<>(
                        new FraudScoringFunction(
                                10, MAX_AGE, TTL, DeadLetterPolicy.builder("test").build()),
                        List.of(FraudScoringFunction.RULES));
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        operator, PaymentTransaction::getCardId, null, Types.STRING);
        harness.setStateBackend(backend.create());
        harness.setup();
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        // The rule input never holds back event time, as in the job (it is idle).
        harness.processWatermark2(Watermark.MAX_WATERMARK);
        return harness;
    }
}
