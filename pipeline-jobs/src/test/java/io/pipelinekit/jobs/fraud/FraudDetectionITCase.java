package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.TransactionGenerator;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.annotation.Nullable;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.TreeMap;
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

    private static final int PARTITIONS = 4;
    private static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(30);

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    @Test
    void alertsEqualTheReferenceModelExactlyOnce() throws Exception {
        Setup setup = new Setup();
        publishRules(setup, FraudRules.defaults());
        JobID job = submit(setup, 2, null);
        try {
            List<PaymentTransaction> payments = generate(7, 6_000);
            TreeSet<String> expected = expectedAlerts(payments, FraudRules.defaults(), tx -> true);
            for (String rule :
                    List.of("velocity", "amount-anomaly", "impossible-travel", "card-testing")) {
                assertThat(expected)
                        .as("planted %s fraud is found", rule)
                        .anyMatch(a -> a.startsWith(rule + "|"));
            }
            // 40 planted patterns, plus what the background traffic trips by itself.
            assertThat(expected).hasSizeGreaterThanOrEqualTo(40);
            Instant last = payments.get(payments.size() - 1).getEventTime();
            produce(setup, payments, last.plus(Duration.ofHours(1)), true);

            TreeSet<String> actual = alertKeys(awaitAlerts(setup, expected.size()));
            assertThat(actual).isEqualTo(expected);
            System.out.printf(
                    "fraud-detection: %d payments, %d alerts %s, equal to the reference model%n",
                    payments.size(), actual.size(), countByRule(actual));

            // Event time has passed every payment (all read, two checkpoints since): these are
            // late, scored at once by the rules without a window (these cards have no history, so
            // no alert) and copied to the late topic.
            awaitConsumed(setup);
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
            produce(setup, late, null, false);
            List<PaymentTransaction> lateRead = new ArrayList<>();
            DeserializationSchema<PaymentTransaction> txDeserializer =
                    ConfluentAvro.deserializer(PaymentTransaction.class, setup.config);
            txDeserializer.open(null);
            for (ConsumerRecord<byte[], byte[]> record :
                    KAFKA.service().readCommitted(setup.late, late.size(), Duration.ofMinutes(1))) {
                lateRead.add(txDeserializer.deserialize(record.value()));
            }
            assertThat(lateRead).containsExactlyInAnyOrderElementsOf(late);
            assertThat(alertKeys(awaitAlerts(setup, expected.size()))).isEqualTo(expected);

            List<DeadLetter> letters = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record :
                    KAFKA.service().readCommitted(setup.dlq, 1, Duration.ofSeconds(60))) {
                letters.add(DeadLetterCodec.decode(record.value()));
            }
            assertThat(letters)
                    .extracting(DeadLetter::getReason)
                    .containsExactly("WRONG_MAGIC_BYTE");

            // What a dashboard shows: every payment scored once (the sentinels wait for a
            // watermark that never passes them), the late ones counted, alerts by rule.
            awaitMetric(job, "transactionsScored", payments.size() + late.size());
            awaitMetric(job, "lateTransactions", late.size());
            for (Map.Entry<String, Long> byRule : countByRule(actual).entrySet()) {
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
    void sameAlertsThroughATaskManagerLossAndARescaledRestore() throws Exception {
        Setup setup = new Setup();
        publishRules(setup, FraudRules.defaults());
        List<PaymentTransaction> payments = generate(8, 4_000);
        TreeSet<String> expected = expectedAlerts(payments, FraudRules.defaults(), tx -> true);
        int half = payments.size() / 2;
        Instant last = payments.get(payments.size() - 1).getEventTime();

        JobID job = submit(setup, 2, null);
        JobID restored = null;
        try {
            produce(setup, payments.subList(0, half), null, false);
            KAFKA.service().readCommitted(setup.alerts, 1, Duration.ofMinutes(2));

            // A TaskManager dies with open Kafka transactions and in-flight state.
            FlinkTestCluster cluster = FLINK.cluster();
            long checkpoints = cluster.completedCheckpoints(job);
            cluster.miniCluster().terminateTaskManager(0).get(1, TimeUnit.MINUTES);
            cluster.miniCluster().startTaskManager();
            cluster.awaitRunning(job, Duration.ofMinutes(2));
            cluster.awaitCompletedCheckpoints(job, checkpoints + 2, Duration.ofMinutes(2));

            String savepoint = cluster.stopWithSavepoint(job, Duration.ofMinutes(2));
            restored = submit(setup, 3, savepoint);
            produce(setup, payments.subList(half, payments.size()), last.plusSeconds(3600), false);

            assertThat(alertKeys(awaitAlerts(setup, expected.size()))).isEqualTo(expected);
        } finally {
            FLINK.cluster().cancel(restored != null ? restored : job, Duration.ofSeconds(30));
        }
    }

    @Test
    void aRuleChangedMidStreamChangesAlertsFromThatPointOn() throws Exception {
        Setup setup = new Setup();
        List<FraudRule> v1 = FraudRules.defaults();
        publishRules(setup, v1);
        List<PaymentTransaction> generated = generate(9, 6_000);
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
        TreeSet<String> expected1 = expectedAlerts(payments, v1, phase1::contains);
        TreeSet<String> expected2 = expectedAlerts(payments, v2, phase2::contains);
        assertThat(expected2)
                .as("the change matters for phase 2")
                .isNotEqualTo(expectedAlerts(payments, v1, phase2::contains))
                .anyMatch(a -> a.startsWith("velocity|2|"))
                .noneMatch(a -> a.startsWith("card-testing|"));

        JobID job = submit(setup, 2, null);
        try {
            produce(setup, phase1, cut, false);
            // Phase 1 read (offsets committed by a checkpoint), then two more checkpoints: the
            // watermark the sources emitted after phase 1 reached the scorer before them.
            awaitConsumed(setup);
            long checkpoints = FLINK.cluster().completedCheckpoints(job);
            FLINK.cluster().awaitCompletedCheckpoints(job, checkpoints + 2, Duration.ofMinutes(1));
            assertThat(alertKeys(awaitAlerts(setup, expected1.size()))).isEqualTo(expected1);

            publishRules(setup, changes);
            awaitCommitted(setup.group, new TopicPartition(setup.rules, 0), v1.size() + 2);
            produce(
                    setup,
                    phase2,
                    phase2.get(phase2.size() - 1).getEventTime().plusSeconds(3600),
                    false);

            TreeSet<String> expected = new TreeSet<>(expected1);
            expected.addAll(expected2);
            assertThat(alertKeys(awaitAlerts(setup, expected.size()))).isEqualTo(expected);
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    /** Topics and configuration of one test's job. */
    private static final class Setup {
        final String suffix = UUID.randomUUID().toString().substring(0, 8);
        final String transactions = "transactions-" + suffix;
        final String rules = "rules-" + suffix;
        final String alerts = "alerts-" + suffix;
        final String late = "late-" + suffix;
        final String dlq = "fraud-dlq-" + suffix;
        final String group = "fraud-" + suffix;
        final Configuration config = new Configuration();

        Setup() {
            KAFKA.service()
                    .createTopics(
                            new NewTopic(transactions, PARTITIONS, (short) 1),
                            new NewTopic(rules, 1, (short) 1)
                                    .configs(Map.of("cleanup.policy", "compact")),
                            new NewTopic(alerts, 2, (short) 1),
                            new NewTopic(late, 1, (short) 1),
                            new NewTopic(dlq, 1, (short) 1));
            config.setString("kafka.bootstrap-servers", KAFKA.service().bootstrapServers());
            config.setString("kafka.source.group-id", group);
            config.setString("schema-registry.url", REGISTRY.registry().url());
            config.setString("checkpoint.storage", FLINK.cluster().checkpointDirectory());
            config.setString("checkpoint.interval", "1 s");
            config.setString("dlq.topic", dlq);
            config.set(FraudDetectionOptions.TRANSACTIONS_TOPIC, transactions);
            config.set(FraudDetectionOptions.RULES_TOPIC, rules);
            config.set(FraudDetectionOptions.ALERTS_TOPIC, alerts);
            config.set(FraudDetectionOptions.LATE_TRANSACTIONS_TOPIC, late);
            config.set(FraudDetectionOptions.MAX_OUT_OF_ORDERNESS, OUT_OF_ORDERNESS);
        }
    }

    private static JobID submit(Setup setup, int parallelism, @Nullable String savepoint)
            throws Exception {
        StreamExecutionEnvironment env = FLINK.cluster().environment(parallelism);
        FraudDetectionJob.build(env, setup.config);
        JobID job =
                savepoint == null
                        ? FLINK.cluster().submit(env, FraudDetectionJob.NAME).getJobID()
                        : FLINK.cluster()
                                .submitRestoring(env, FraudDetectionJob.NAME, savepoint)
                                .getJobID();
        if (savepoint == null) {
            // The rules are in force (read, and a checkpoint passed the scorer) before payments.
            long published = KAFKA.service().readCommitted(setup.rules).size();
            awaitCommitted(setup.group, new TopicPartition(setup.rules, 0), published);
        }
        return job;
    }

    private static List<PaymentTransaction> generate(long seed, int transactions) {
        return TransactionGenerator.builder()
                .seed(seed)
                .cards(300)
                .transactions(transactions)
                .meanGap(Duration.ofSeconds(5))
                .velocityBursts(10)
                .amountSpikes(10)
                .impossibleTravel(10)
                .cardTesting(10)
                .build()
                .generate();
    }

    private static TreeSet<String> expectedAlerts(
            List<PaymentTransaction> payments,
            List<FraudRule> rules,
            java.util.function.Predicate<PaymentTransaction> scored) {
        return ReferenceModel.expectedAlerts(
                payments,
                rules,
                FraudDetectionOptions.MAX_HISTORY.defaultValue(),
                FraudDetectionOptions.MAX_HISTORY_AGE.defaultValue().toMillis(),
                scored);
    }

    private static void publishRules(Setup setup, List<FraudRule> rules) throws Exception {
        SerializationSchema<FraudRule> serializer =
                ConfluentAvro.serializer(FraudRule.class, setup.rules, setup.config);
        serializer.open(null);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (FraudRule rule : rules) {
                producer.send(
                                new ProducerRecord<>(
                                        setup.rules,
                                        rule.getRuleId().getBytes(StandardCharsets.UTF_8),
                                        serializer.serialize(rule)))
                        .get();
            }
        }
    }

    /**
     * Sends the payments keyed by card with up to 5 s of event-time disorder (less than the job's
     * 30 s of tolerated out-of-orderness, so none is late); optionally a malformed record, and one
     * payment per partition at {@code sentinelTime} so that event time passes every payment before
     * it (minus the out-of-orderness).
     */
    private static void produce(
            Setup setup,
            List<PaymentTransaction> payments,
            @Nullable Instant sentinelTime,
            boolean malformed)
            throws Exception {
        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(
                        PaymentTransaction.class, setup.transactions, setup.config);
        serializer.open(null);
        Random random = new Random(11);
        List<long[]> order = new ArrayList<>();
        for (int i = 0; i < payments.size(); i++) {
            order.add(
                    new long[] {
                        payments.get(i).getEventTime().toEpochMilli() + random.nextInt(5000), i
                    });
        }
        order.sort(Comparator.comparingLong(o -> o[0]));
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (long[] o : order) {
                PaymentTransaction tx = payments.get((int) o[1]);
                producer.send(
                        new ProducerRecord<>(
                                setup.transactions,
                                tx.getCardId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(tx)));
            }
            if (malformed) {
                producer.send(
                        new ProducerRecord<>(
                                setup.transactions,
                                0,
                                "bad".getBytes(StandardCharsets.UTF_8),
                                "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8)));
            }
            for (int p = 0; sentinelTime != null && p < PARTITIONS; p++) {
                PaymentTransaction sentinel =
                        PaymentTransaction.newBuilder(payments.get(0))
                                .setTransactionId(
                                        UUID.nameUUIDFromBytes(
                                                ("sentinel" + p + "@" + sentinelTime).getBytes()))
                                .setCardId("sentinel-" + p)
                                .setChannel(PaymentChannel.ECOMMERCE)
                                .setLocation(null)
                                .setAmount(new BigDecimal("1.0000"))
                                .setEventTime(sentinelTime)
                                .build();
                producer.send(
                        new ProducerRecord<>(
                                setup.transactions,
                                p,
                                sentinel.getCardId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(sentinel)));
            }
            producer.flush();
        }
    }

    /** Reads the committed alerts until the expected number arrived and no more come for 3 s. */
    private static List<FraudAlert> awaitAlerts(Setup setup, int expected) throws Exception {
        DeserializationSchema<FraudAlert> deserializer =
                ConfluentAvro.deserializer(FraudAlert.class, setup.config);
        deserializer.open(null);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        List<FraudAlert> alerts = List.of();
        int stable = 0;
        while (System.nanoTime() < deadline) {
            List<FraudAlert> read = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record :
                    KAFKA.service().readCommitted(setup.alerts)) {
                read.add(deserializer.deserialize(record.value()));
            }
            stable = read.size() == alerts.size() && read.size() >= expected ? stable + 1 : 0;
            alerts = read;
            if (stable >= 3) {
                break;
            }
            Thread.sleep(1000);
        }
        return alerts;
    }

    /** The alerts as "ruleId|version|transactionId", each exactly once and with its own id. */
    private static TreeSet<String> alertKeys(List<FraudAlert> alerts) {
        TreeSet<String> keys = new TreeSet<>();
        for (FraudAlert alert : alerts) {
            String key =
                    alert.getRuleId()
                            + "|"
                            + alert.getRuleVersion()
                            + "|"
                            + alert.getTransactionId();
            assertThat(keys.add(key)).as("alert %s once", key).isTrue();
            assertThat(alert.getAlertId())
                    .isEqualTo(
                            Alerts.alertId(
                                    alert.getRuleId(),
                                    alert.getRuleVersion(),
                                    alert.getTransactionId().toString()));
        }
        return keys;
    }

    private static Map<String, Long> countByRule(TreeSet<String> alerts) {
        return alerts.stream()
                .collect(
                        Collectors.groupingBy(
                                a -> a.substring(0, a.indexOf('|')),
                                TreeMap::new,
                                Collectors.counting()));
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

    /** Waits until the job committed offsets at the end of every transactions partition. */
    private static void awaitConsumed(Setup setup) throws Exception {
        try (Admin admin = KAFKA.service().admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(setup.transactions, p), OffsetSpec.latest());
            }
            var ends = admin.listOffsets(latest).all().get();
            for (var end : ends.entrySet()) {
                awaitCommitted(setup.group, end.getKey(), end.getValue().offset());
            }
        }
    }

    private static void awaitCommitted(String group, TopicPartition partition, long offset)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        try (Admin admin = KAFKA.service().admin()) {
            while (System.nanoTime() < deadline) {
                OffsetAndMetadata committed =
                        admin.listConsumerGroupOffsets(group)
                                .partitionsToOffsetAndMetadata()
                                .get()
                                .get(partition);
                if (committed != null && committed.offset() >= offset) {
                    return;
                }
                Thread.sleep(200);
            }
        }
        throw new AssertionError(
                "The job did not commit offset " + offset + " of " + partition + " within 1 min");
    }
}
