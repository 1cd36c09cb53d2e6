package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.jobs.fraud.Alerts;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.pipelinekit.jobs.fraud.rules.Payments.EPOCH;
import static io.pipelinekit.jobs.fraud.rules.Payments.online;
import static io.pipelinekit.jobs.fraud.rules.Payments.present;
import static org.assertj.core.api.Assertions.assertThat;

/** The scoring operator's event-time order, late path, rule updates, state and timers. */
class FraudScoringFunctionTest {

    private static final Duration MAX_AGE = Duration.ofHours(1);
    private static final Duration TTL = Duration.ofDays(1);

    private KeyedTwoInputStreamOperatorTestHarness<
                    String, PaymentTransaction, RuleUpdate, FraudAlert>
            harness;

    @BeforeEach
    void open() throws Exception {
        harness = harness(null);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    @Test
    void transactionsWaitForTheWatermarkAndAreScoredInEventTimeOrder() throws Exception {
        rule(FraudRules.velocity(1, 60, 2, null));
        PaymentTransaction t30 = online("c", "5", 30);
        PaymentTransaction t10 = online("c", "5", 10);
        PaymentTransaction t20 = online("c", "5", 20);
        tx(t30);
        tx(t10);
        tx(t20);
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.numEventTimeTimers()).isEqualTo(3);

        watermark(29);
        assertThat(harness.extractOutputValues()).isEmpty();
        watermark(30);
        // In arrival order t30 would have been the first of the card; in event time it is third.
        assertThat(alerts()).containsExactly(key("velocity", 1, t30));
    }

    @Test
    void lateTransactionsGoToTheSideOutputAndSkipWindowRules() throws Exception {
        rule(FraudRules.velocity(1, 60, 1, null));
        rule(FraudRules.amountAnomaly(1, 3, 10, 3.0));
        tx(online("c", "10", 0));
        tx(online("c", "11", 10));
        tx(online("c", "9", 20));
        watermark(100);
        assertThat(alerts())
                .containsExactly(
                        key("velocity", 1, online("c", "11", 10)),
                        key("velocity", 1, online("c", "9", 20)));

        PaymentTransaction late = online("c", "900", 30);
        tx(late);
        assertThat(harness.getSideOutput(FraudScoringFunction.LATE))
                .extracting(StreamRecord::getValue)
                .containsExactly(late);
        // Scored at once against the history before it; the windowed velocity rule is skipped.
        assertThat(alerts())
                .contains(key("amount-anomaly", 1, late))
                .doesNotContain(key("velocity", 1, late));
    }

    @Test
    void ruleUpdatesApplyFromThatPointOn() throws Exception {
        FraudRule v1 = FraudRules.velocity(1, 60, 1, null);
        rule(v1);
        PaymentTransaction a = online("c", "5", 0);
        PaymentTransaction b = online("c", "5", 10);
        tx(a);
        tx(b);
        watermark(10);
        assertThat(alerts()).containsExactly(key("velocity", 1, b));

        rule(FraudRules.velocity(2, 60, 2, null));
        rule(v1); // a replayed older version never replaces the newer one
        PaymentTransaction c = online("c", "5", 20);
        PaymentTransaction d = online("c", "5", 30);
        tx(c);
        watermark(20);
        tx(d);
        watermark(30);
        // Version 2 allows two in 60 s: c is the third and d the fourth.
        assertThat(alerts())
                .containsExactly(
                        key("velocity", 1, b), key("velocity", 2, c), key("velocity", 2, d));

        rule(FraudRules.disabled(FraudRules.velocity(2, 60, 2, null), 3));
        tx(online("c", "5", 40));
        watermark(40);
        assertThat(alerts()).hasSize(3);

        rule(FraudRules.velocity(4, 60, 2, null));
        harness.processElement2(new StreamRecord<>(RuleUpdate.removed("velocity")));
        tx(online("c", "5", 50));
        watermark(50);
        assertThat(alerts()).hasSize(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plantedFraud")
    void eachRuleFiresOnItsPatternAndLeavesNoStateOrTimersBehind(
            String ruleId, FraudRule rule, List<PaymentTransaction> card) throws Exception {
        rule(rule);
        for (PaymentTransaction tx : card) {
            tx(tx);
        }
        long last = card.get(card.size() - 1).getEventTime().toEpochMilli() - EPOCH.toEpochMilli();
        harness.processWatermark1(new Watermark(EPOCH.toEpochMilli() + last));
        assertThat(alerts()).containsExactly(key(ruleId, 1, card.get(card.size() - 1)));
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);
        // Only the cleanup timer is left: pending transactions were all scored.
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark1(
                new Watermark(EPOCH.toEpochMilli() + last + MAX_AGE.toMillis() - 1));
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);
        harness.processWatermark1(new Watermark(EPOCH.toEpochMilli() + last + MAX_AGE.toMillis()));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    static Stream<Arguments> plantedFraud() {
        return Stream.of(
                Arguments.of(
                        "velocity",
                        FraudRules.velocity(1, 60, 2, null),
                        List.of(online("v", "5", 0), online("v", "5", 10), online("v", "5", 20))),
                Arguments.of(
                        "amount-anomaly",
                        FraudRules.amountAnomaly(1, 3, 5, 3.0),
                        List.of(
                                online("a", "10", 0),
                                online("a", "11", 60),
                                online("a", "9", 120),
                                online("a", "10", 180),
                                online("a", "500", 240))),
                Arguments.of(
                        "impossible-travel",
                        FraudRules.rule(
                                "impossible-travel",
                                1,
                                new ImpossibleTravelParameters(900.0, 50.0)),
                        List.of(
                                present("t", "20", 0, 52.52, 13.40), // Berlin
                                present("t", "20", 600, 40.71, -74.01))), // New York 10 min later
                Arguments.of(
                        "card-testing",
                        FraudRules.cardTesting(1, "2", 3, "500", 600),
                        List.of(
                                online("p", "1", 0),
                                online("p", "1", 10),
                                online("p", "1", 20),
                                online("p", "800", 30))));
    }

    @Test
    void aCleanupTimerMovedAwayKeepsThePendingTransactionThatSharesItsTime() throws Exception {
        rule(FraudRules.rule("impossible-travel", 1, new ImpossibleTravelParameters(900.0, 50.0)));
        tx(present("c", "20", 0, 52.52, 13.40));
        watermark(0); // cleanup timer at 3600 s
        PaymentTransaction newYork = present("c", "20", 3600, 40.71, -74.01);
        tx(newYork); // pending, with a timer at the same 3600 s
        tx(present("c", "20", 100, 52.52, 13.40));
        watermark(100); // moves the cleanup to 3700 s; the timer at 3600 s must stay
        watermark(3600);
        assertThat(alerts()).containsExactly(key("impossible-travel", 1, newYork));
    }

    @Test
    void afterARestoreAPaymentBehindTheOldWatermarkSeesOnlyWhatWasBeforeIt() throws Exception {
        rule(FraudRules.rule("impossible-travel", 1, new ImpossibleTravelParameters(900.0, 50.0)));
        PaymentTransaction berlin0 = present("c", "20", 0, 52.52, 13.40);
        PaymentTransaction berlin1000 = present("c", "20", 1000, 52.52, 13.40);
        tx(berlin0);
        tx(berlin1000);
        watermark(1000);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        // The watermark is not checkpointed: after the restore, 500 s is not late.
        harness = harness(snapshot);
        PaymentTransaction newYork500 = present("c", "20", 500, 40.71, -74.01);
        tx(newYork500);
        watermark(500);
        PaymentTransaction newYork1100 = present("c", "20", 1100, 40.71, -74.01);
        tx(newYork1100);
        watermark(1100);

        assertThat(harness.extractOutputValues())
                .extracting(FraudAlert::getTransactionId, FraudAlert::getRelatedTransactionIds)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                newYork500.getTransactionId(),
                                List.of(berlin0.getTransactionId().toString())),
                        // The history stayed in event-time order: Berlin at 1000 s came last.
                        org.assertj.core.groups.Tuple.tuple(
                                newYork1100.getTransactionId(),
                                List.of(berlin1000.getTransactionId().toString())));
    }

    @Test
    void anInvalidRuleFromOldStateIsSkippedAndTheOthersStillScore() throws Exception {
        // Written before rules validated their parameters: restored from such a savepoint.
        harness.processElement2(
                new StreamRecord<>(
                        RuleUpdate.of(
                                FraudRules.rule(
                                        "amount-anomaly",
                                        1,
                                        new io.pipelinekit.schemas.fraud.AmountAnomalyParameters(
                                                1, 5, 3.0)))));
        rule(FraudRules.velocity(1, 60, 1, null));
        tx(online("c", "5", 0));
        tx(online("c", "5", 10));
        watermark(10);
        // The invalid amount-anomaly rule is skipped; velocity still works.
        assertThat(alerts()).containsExactly(key("velocity", 1, online("c", "5", 10)));
    }

    @Test
    void aRuleThatFailsOnAPaymentDeadLettersItInsteadOfFailingTheJob() throws Exception {
        rule(FraudRules.rule("impossible-travel", 1, new ImpossibleTravelParameters(900.0, 50.0)));
        rule(FraudRules.velocity(1, 120, 1, null));
        tx(present("c", "20", 0, 52.52, 13.40));
        // The job's validation stops such coordinates; the scorer must survive them anyway, as
        // the payment would otherwise fail again from state after every restart.
        PaymentTransaction broken = present("c", "20", 60, Double.NaN, Double.NaN);
        tx(broken);
        watermark(60);

        assertThat(harness.getSideOutput(DeadLetters.TAG))
                .extracting(r -> r.getValue().getReason())
                .containsExactly("RULE_FAILED");
        assertThat(alerts()).containsExactly(key("velocity", 1, broken));
    }

    @Test
    void stateTtlDropsTheHistoryOfCardsWhoseEventTimeStopped() throws Exception {
        rule(FraudRules.velocity(1, 60, 1, null));
        harness.setStateTtlProcessingTime(0);
        tx(online("c", "5", 0));
        watermark(0);
        harness.setStateTtlProcessingTime(TTL.toMillis() + 1);
        PaymentTransaction next = online("c", "5", 10);
        tx(next);
        watermark(10);
        // With the history it would be the second transaction in 60 s and alert.
        assertThat(alerts()).isEmpty();
    }

    @Test
    void rulesPendingTransactionsAndHistorySurviveSnapshotAndRestore() throws Exception {
        rule(FraudRules.velocity(1, 60, 2, null));
        tx(online("c", "5", 0));
        tx(online("c", "5", 10));
        watermark(5);
        PaymentTransaction third = online("c", "5", 20);
        tx(third);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        harness = harness(snapshot);
        watermark(20);
        assertThat(alerts()).containsExactly(key("velocity", 1, third));
    }

    private KeyedTwoInputStreamOperatorTestHarness<
                    String, PaymentTransaction, RuleUpdate, FraudAlert>
            harness(OperatorSubtaskState restoreFrom) throws Exception {
        CoBroadcastWithKeyedOperator<String, PaymentTransaction, RuleUpdate, FraudAlert> operator =
                new CoBroadcastWithKeyedOperator<>(
                        new FraudScoringFunction(
                                10, MAX_AGE, TTL, DeadLetterPolicy.builder("test").build()),
                        List.of(FraudScoringFunction.RULES));
        KeySelector<PaymentTransaction, String> byCard = PaymentTransaction::getCardId;
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(operator, byCard, null, Types.STRING);
        h.setup();
        if (restoreFrom != null) {
            h.initializeState(restoreFrom);
        }
        h.open();
        // The rule input never holds back event time, as in the job (it is idle).
        h.processWatermark2(Watermark.MAX_WATERMARK);
        return h;
    }

    private void rule(FraudRule rule) throws Exception {
        harness.processElement2(new StreamRecord<>(RuleUpdate.of(rule)));
    }

    private void tx(PaymentTransaction tx) throws Exception {
        harness.processElement1(new StreamRecord<>(tx, tx.getEventTime().toEpochMilli()));
    }

    private void watermark(long second) throws Exception {
        harness.processWatermark1(new Watermark(EPOCH.toEpochMilli() + second * 1000));
    }

    private List<String> alerts() {
        List<String> keys = new ArrayList<>();
        for (FraudAlert alert : harness.extractOutputValues()) {
            assertThat(alert.getAlertId())
                    .isEqualTo(
                            Alerts.alertId(
                                    alert.getRuleId(),
                                    alert.getRuleVersion(),
                                    alert.getTransactionId().toString()));
            keys.add(
                    alert.getRuleId()
                            + "|"
                            + alert.getRuleVersion()
                            + "|"
                            + alert.getTransactionId());
        }
        return keys;
    }

    private static String key(String rule, int version, PaymentTransaction tx) {
        return rule + "|" + version + "|" + tx.getTransactionId();
    }
}
