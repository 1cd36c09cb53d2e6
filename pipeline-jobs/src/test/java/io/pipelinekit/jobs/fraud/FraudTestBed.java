package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.TransactionGenerator;
import io.pipelinekit.testkit.kafka.KafkaService;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

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
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka side of one fraud-detection test run: its topics and job configuration, seeded
 * payments, the expected alerts of the reference model, producing out of order, and reading the
 * committed alerts.
 */
public final class FraudTestBed {

    static final int PARTITIONS = 4;
    static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(30);

    final KafkaService kafka;
    final String suffix;
    final String transactions;
    final String rules;
    final String alerts;
    final String late;
    public final String dlq;
    final String group;
    public final Configuration config = new Configuration();

    /** A test bed on new topics with a random suffix. */
    public FraudTestBed(KafkaService kafka, String registryUrl, String checkpointStorage) {
        this(kafka, registryUrl, checkpointStorage, UUID.randomUUID().toString().substring(0, 8));
        kafka.createTopics(
                new NewTopic(transactions, PARTITIONS, (short) 1),
                new NewTopic(rules, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
        createOutputTopics();
    }

    /**
     * A test bed on the topics named with {@code suffix}, which the caller creates (a savepoint
     * fixture recreates the inputs at their recorded offsets, then calls {@link
     * #createOutputTopics()}).
     */
    FraudTestBed(KafkaService kafka, String registryUrl, String checkpointStorage, String suffix) {
        this.kafka = kafka;
        this.suffix = suffix;
        this.transactions = "transactions-" + suffix;
        this.rules = "rules-" + suffix;
        this.alerts = "alerts-" + suffix;
        this.late = "late-" + suffix;
        this.dlq = "fraud-dlq-" + suffix;
        this.group = "fraud-" + suffix;
        config.setString("kafka.bootstrap-servers", kafka.bootstrapServers());
        config.setString("kafka.source.group-id", group);
        config.setString("schema-registry.url", registryUrl);
        config.setString("checkpoint.storage", checkpointStorage);
        config.setString("checkpoint.interval", "1 s");
        config.setString("dlq.topic", dlq);
        config.set(FraudDetectionOptions.TRANSACTIONS_TOPIC, transactions);
        config.set(FraudDetectionOptions.RULES_TOPIC, rules);
        config.set(FraudDetectionOptions.ALERTS_TOPIC, alerts);
        config.set(FraudDetectionOptions.LATE_TRANSACTIONS_TOPIC, late);
        config.set(FraudDetectionOptions.MAX_OUT_OF_ORDERNESS, OUT_OF_ORDERNESS);
    }

    /** Creates the topics the job writes: alerts, late payments and dead letters. */
    void createOutputTopics() {
        kafka.createTopics(
                new NewTopic(alerts, 2, (short) 1),
                new NewTopic(late, 1, (short) 1),
                new NewTopic(dlq, 1, (short) 1));
    }

    /** Waits until the job has read every rule published so far (its offsets are committed). */
    public void awaitRulesInForce() throws Exception {
        awaitCommitted(new TopicPartition(rules, 0), kafka.readCommitted(rules).size());
    }

    public static List<PaymentTransaction> generate(long seed, int transactions) {
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

    public static TreeSet<String> expectedAlerts(
            List<PaymentTransaction> payments,
            List<FraudRule> rules,
            Predicate<PaymentTransaction> scored) {
        return ReferenceModel.expectedAlerts(
                payments,
                rules,
                FraudDetectionOptions.MAX_HISTORY.defaultValue(),
                FraudDetectionOptions.MAX_HISTORY_AGE.defaultValue().toMillis(),
                scored);
    }

    public void publishRules(List<FraudRule> definitions) throws Exception {
        SerializationSchema<FraudRule> serializer =
                ConfluentAvro.serializer(FraudRule.class, rules, config);
        serializer.open(null);
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer(Map.of())) {
            for (FraudRule rule : definitions) {
                producer.send(
                                new ProducerRecord<>(
                                        rules,
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
    public void produce(
            List<PaymentTransaction> payments, @Nullable Instant sentinelTime, boolean malformed)
            throws Exception {
        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(PaymentTransaction.class, transactions, config);
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
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer(Map.of())) {
            for (long[] o : order) {
                PaymentTransaction tx = payments.get((int) o[1]);
                producer.send(
                        new ProducerRecord<>(
                                transactions,
                                tx.getCardId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(tx)));
            }
            if (malformed) {
                producer.send(
                        new ProducerRecord<>(
                                transactions,
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
                                transactions,
                                p,
                                sentinel.getCardId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(sentinel)));
            }
            producer.flush();
        }
    }

    /** Reads the committed alerts until the expected number arrived and no more come for 3 s. */
    public List<FraudAlert> awaitAlerts(int expected) throws Exception {
        DeserializationSchema<FraudAlert> deserializer =
                ConfluentAvro.deserializer(FraudAlert.class, config);
        deserializer.open(null);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        List<FraudAlert> seen = List.of();
        int stable = 0;
        while (System.nanoTime() < deadline) {
            List<FraudAlert> read = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : kafka.readCommitted(alerts)) {
                read.add(deserializer.deserialize(record.value()));
            }
            stable = read.size() == seen.size() && read.size() >= expected ? stable + 1 : 0;
            seen = read;
            if (stable >= 3) {
                break;
            }
            Thread.sleep(1000);
        }
        return seen;
    }

    /** An alert as "ruleId|version|transactionId", the reference model's form. */
    public static String alertKey(FraudAlert alert) {
        return alert.getRuleId() + "|" + alert.getRuleVersion() + "|" + alert.getTransactionId();
    }

    /** The alerts as "ruleId|version|transactionId", each exactly once and with its own id. */
    public static TreeSet<String> alertKeys(List<FraudAlert> alerts) {
        TreeSet<String> keys = new TreeSet<>();
        for (FraudAlert alert : alerts) {
            String key = alertKey(alert);
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

    static Map<String, Long> countByRule(TreeSet<String> alerts) {
        return alerts.stream()
                .collect(
                        Collectors.groupingBy(
                                a -> a.substring(0, a.indexOf('|')),
                                TreeMap::new,
                                Collectors.counting()));
    }

    /** Waits until the job committed offsets at the end of every transactions partition. */
    void awaitConsumed() throws Exception {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(transactions, p), OffsetSpec.latest());
            }
            var ends = admin.listOffsets(latest).all().get();
            for (var end : ends.entrySet()) {
                awaitCommitted(end.getKey(), end.getValue().offset());
            }
        }
    }

    void awaitCommitted(TopicPartition partition, long offset) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        try (Admin admin = kafka.admin()) {
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
