package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.annotation.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * fraud-detection on a MiniCluster with parallelism > 1, records out of order over 4 partitions:
 * the alerts equal an independent reference model exactly once, through a TaskManager loss, a
 * rescaled restore from a savepoint and a rule change mid-stream.
 */
class FraudDetectionITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    @Test
    void alertsEqualTheReferenceModelExactlyOnce() throws Exception {
        FraudTestBed bed = newTestBed();
        bed.publishRules(FraudRules.defaults());
        JobID job = submit(bed, 2, null);
        try {
            List<PaymentTransaction> payments = FraudTestBed.generate(7, 6_000);
            TreeSet<String> expected =
                    FraudTestBed.expectedAlerts(payments, FraudRules.defaults(), tx -> true);
            for (String rule :
                    List.of("velocity", "amount-anomaly", "impossible-travel", "card-testing")) {
                assertThat(expected)
                        .as("planted %s fraud is found", rule)
                        .anyMatch(a -> a.startsWith(rule + "|"));
            }
            // 40 planted patterns, plus what the background traffic trips by itself.
            assertThat(expected).hasSizeGreaterThanOrEqualTo(40);
            Instant last = payments.get(payments.size() - 1).getEventTime();
            bed.produce(payments, last.plus(Duration.ofHours(1)), true);

            TreeSet<String> actual = FraudTestBed.alertKeys(bed.awaitAlerts(expected.size()));
            assertThat(actual).isEqualTo(expected);
            System.out.printf(
                    "fraud-detection: %d payments, %d alerts %s, equal to the reference model%n",
                    payments.size(), actual.size(), FraudTestBed.countByRule(actual));

            // Event time has passed every payment (all read, two checkpoints since): these are
            // late, scored at once by the rules without a window (these cards have no history, so
            // no alert) and copied to the late topic.
            bed.awaitConsumed();
            long checkpoints = FLINK.cluster().completedCheckpoints(job);
            FLINK.cluster().awaitCompletedCheckpoints(job, checkpoints + 2, Duration.ofMinutes(1));
            List<PaymentTransaction> late = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                late.add(
                        PaymentTransaction.newBuilder(payments.get(i))
                                .setTransactionId(UUID.nameUUIDFromBytes(("late" + i).getBytes()))
                                .setCardId("late-card-" + i)
                                .setEventTime(last)
                                .build());
            }
            bed.produce(late, null, false);
            List<PaymentTransaction> lateRead = new ArrayList<>();
            DeserializationSchema<PaymentTransaction> txDeserializer =
                    ConfluentAvro.deserializer(PaymentTransaction.class, bed.config);
            txDeserializer.open(null);
            for (ConsumerRecord<byte[], byte[]> record :
                    KAFKA.service().readCommitted(bed.late, late.size(), Duration.ofMinutes(1))) {
                lateRead.add(txDeserializer.deserialize(record.value()));
            }
            assertThat(lateRead).containsExactlyInAnyOrderElementsOf(late);
            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .isEqualTo(expected);

            List<DeadLetter> letters = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record :
                    KAFKA.service().readCommitted(bed.dlq, 1, Duration.ofSeconds(60))) {
                letters.add(DeadLetterCodec.decode(record.value()));
            }
            assertThat(letters)
                    .extracting(DeadLetter::getReason)
                    .containsExactly("WRONG_MAGIC_BYTE");

            // What a dashboard shows: every payment scored once (the sentinels wait for a
            // watermark that never passes them), the late ones counted, alerts by rule.
            awaitMetric(job, "transactionsScored", payments.size() + late.size());
            awaitMetric(job, "lateTransactions", late.size());
            for (Map.Entry<String, Long> byRule : FraudTestBed.countByRule(actual).entrySet()) {
                awaitMetric(job, "rule." + byRule.getKey() + ".alerts", byRule.getValue());
            }
            // Histograms reach REST as percentiles, among them the 99th.
            assertThat(FLINK.cluster().metricSum(job, "ruleEvaluationNanos_p99").orElse(0))
                    .isPositive();
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    @Test
    void sameAlertsThroughATaskManagerLossAndRestoresRescaledFromTwoToOneToTwo() throws Exception {
        FraudTestBed bed = newTestBed();
        // RocksDB with incremental checkpoints, as for large card populations in production.
        bed.config.set(CheckpointOptions.PRESET, CheckpointPreset.LARGE_STATE);
        bed.config.setString("checkpoint.interval", "1 s");
        bed.publishRules(FraudRules.defaults());
        List<PaymentTransaction> payments = FraudTestBed.generate(8, 4_000);
        TreeSet<String> expected =
                FraudTestBed.expectedAlerts(payments, FraudRules.defaults(), tx -> true);
        int third = payments.size() / 3;
        Instant last = payments.get(payments.size() - 1).getEventTime();

        JobID job = submit(bed, 2, null);
        JobID restored = null;
        try {
            bed.produce(payments.subList(0, third), null, false);
            KAFKA.service().readCommitted(bed.alerts, 1, Duration.ofMinutes(2));

            // A TaskManager dies with open Kafka transactions and in-flight state.
            FlinkTestCluster cluster = FLINK.cluster();
            long checkpoints = cluster.completedCheckpoints(job);
            cluster.miniCluster().terminateTaskManager(0).get(1, TimeUnit.MINUTES);
            cluster.miniCluster().startTaskManager();
            cluster.awaitRunning(job, Duration.ofMinutes(2));
            cluster.awaitCompletedCheckpoints(job, checkpoints + 2, Duration.ofMinutes(2));

            // Rescaled down and up again: keyed state, pending payments and timers are
            // redistributed by key group each time.
            String savepoint = cluster.stopWithSavepoint(job, Duration.ofMinutes(2));
            restored = submit(bed, 1, savepoint);
            bed.produce(payments.subList(third, 2 * third), null, false);
            bed.awaitConsumed();
            savepoint = cluster.stopWithSavepoint(restored, Duration.ofMinutes(2));
            restored = submit(bed, 2, savepoint);
            bed.produce(
                    payments.subList(2 * third, payments.size()), last.plusSeconds(3600), false);

            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .isEqualTo(expected);
        } finally {
            FLINK.cluster().cancel(restored != null ? restored : job, Duration.ofSeconds(30));
        }
    }

    @Test
    void aRuleChangedMidStreamChangesAlertsFromThatPointOn() throws Exception {
        FraudTestBed bed = newTestBed();
        List<FraudRule> v1 = FraudRules.defaults();
        bed.publishRules(v1);
        List<PaymentTransaction> generated = FraudTestBed.generate(9, 6_000);
        Instant cut = generated.get(generated.size() / 2).getEventTime();
        // A quiet minute before the cut: event time can pass all of phase 1 (out-of-orderness
        // 30 s) before phase 2 starts, so each payment is scored under exactly one rule version.
        List<PaymentTransaction> payments =
                generated.stream()
                        .filter(
                                tx ->
                                        tx.getEventTime().isBefore(cut.minusSeconds(60))
                                                || !tx.getEventTime().isBefore(cut))
                        .collect(Collectors.toList());
        List<PaymentTransaction> phase1 =
                payments.stream()
                        .filter(tx -> tx.getEventTime().isBefore(cut))
                        .collect(Collectors.toList());
        List<PaymentTransaction> phase2 = payments.subList(phase1.size(), payments.size());

        List<FraudRule> changes =
                List.of(
                        FraudRules.velocity(2, 60, 7, null),
                        FraudRules.disabled(FraudRules.cardTesting(1, "2", 3, "500", 600), 2));
        List<FraudRule> v2 = new ArrayList<>(v1);
        v2.removeIf(r -> r.getRuleId().equals("velocity") || r.getRuleId().equals("card-testing"));
        v2.addAll(changes);
        TreeSet<String> expected1 = FraudTestBed.expectedAlerts(payments, v1, phase1::contains);
        TreeSet<String> expected2 = FraudTestBed.expectedAlerts(payments, v2, phase2::contains);
        assertThat(expected2)
                .as("the change matters for phase 2")
                .isNotEqualTo(FraudTestBed.expectedAlerts(payments, v1, phase2::contains))
                .anyMatch(a -> a.startsWith("velocity|2|"))
                .noneMatch(a -> a.startsWith("card-testing|"));

        JobID job = submit(bed, 2, null);
        try {
            bed.produce(phase1, cut, false);
            // Phase 1 read (offsets committed by a checkpoint), then two more checkpoints: the
            // watermark the sources emitted after phase 1 reached the scorer before them.
            bed.awaitConsumed();
            long checkpoints = FLINK.cluster().completedCheckpoints(job);
            FLINK.cluster().awaitCompletedCheckpoints(job, checkpoints + 2, Duration.ofMinutes(1));
            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected1.size())))
                    .isEqualTo(expected1);

            bed.publishRules(changes);
            bed.awaitCommitted(new TopicPartition(bed.rules, 0), v1.size() + 2);
            bed.produce(
                    phase2, phase2.get(phase2.size() - 1).getEventTime().plusSeconds(3600), false);

            TreeSet<String> expected = new TreeSet<>(expected1);
            expected.addAll(expected2);
            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .isEqualTo(expected);
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    private static FraudTestBed newTestBed() {
        return new FraudTestBed(
                KAFKA.service(), REGISTRY.registry().url(), FLINK.cluster().checkpointDirectory());
    }

    private static JobID submit(FraudTestBed bed, int parallelism, @Nullable String savepoint)
            throws Exception {
        StreamExecutionEnvironment env = FLINK.cluster().environment(parallelism);
        FraudDetectionJob.build(env, bed.config);
        if (savepoint != null) {
            return FLINK.cluster()
                    .submitRestoring(env, FraudDetectionJob.NAME, savepoint)
                    .getJobID();
        }
        JobID job = FLINK.cluster().submit(env, FraudDetectionJob.NAME).getJobID();
        // The rules are in force (read, and a checkpoint passed the scorer) before payments.
        bed.awaitRulesInForce();
        return job;
    }

    private static void awaitMetric(JobID job, String metric, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        OptionalDouble value = OptionalDouble.empty();
        while (System.nanoTime() < deadline) {
            value = FLINK.cluster().metricSum(job, metric);
            if (value.isPresent() && value.getAsDouble() == expected) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("Metric " + metric + " is " + value + ", expected " + expected);
    }
}
