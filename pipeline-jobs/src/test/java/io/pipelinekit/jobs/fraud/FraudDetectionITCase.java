package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;
import io.pipelinekit.schemas.fraud.CardTestingParameters;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;
import io.pipelinekit.schemas.fraud.RuleSeverity;
import io.pipelinekit.schemas.fraud.VelocityParameters;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * fraud-detection on a MiniCluster (parallelism 2) with real Kafka and a schema registry: seeded
 * traffic with planted fraud, produced out of order across 4 partitions, gives exactly the alerts
 * an independent reference model computes, each once (read_committed); a malformed record is
 * dead-lettered.
 */
class FraudDetectionITCase {

    private static final int PARTITIONS = 4;

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    static List<FraudRule> rules() {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        return List.of(
                rule("velocity", 1, new VelocityParameters(60, 5, new BigDecimal("3000.0000")), at),
                rule("amount-anomaly", 1, new AmountAnomalyParameters(5, 20, 4.0), at),
                rule("impossible-travel", 1, new ImpossibleTravelParameters(900.0, 50.0), at),
                rule(
                        "card-testing",
                        1,
                        new CardTestingParameters(
                                new BigDecimal("2.0000"), 3, new BigDecimal("500.0000"), 600),
                        at));
    }

    static FraudRule rule(String id, int version, Object parameters, Instant at) {
        return FraudRule.newBuilder()
                .setRuleId(id)
                .setVersion(version)
                .setEnabled(true)
                .setSeverity(RuleSeverity.HIGH)
                .setDescription(id)
                .setParameters(parameters)
                .setUpdatedAt(at)
                .build();
    }

    @Test
    void alertsEqualTheReferenceModelExactlyOnce() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String transactionsTopic = "transactions-" + suffix;
        String rulesTopic = "rules-" + suffix;
        String alertsTopic = "alerts-" + suffix;
        String dlqTopic = "fraud-dlq-" + suffix;
        KAFKA.service()
                .createTopics(
                        new NewTopic(transactionsTopic, PARTITIONS, (short) 1),
                        new NewTopic(rulesTopic, 1, (short) 1)
                                .configs(Map.of("cleanup.policy", "compact")),
                        new NewTopic(alertsTopic, 2, (short) 1),
                        new NewTopic(dlqTopic, 1, (short) 1));
        Configuration config = new Configuration();
        config.setString("kafka.bootstrap-servers", KAFKA.service().bootstrapServers());
        config.setString("kafka.source.group-id", "fraud-" + suffix);
        config.setString("schema-registry.url", REGISTRY.registry().url());
        config.setString("checkpoint.storage", FLINK.cluster().checkpointDirectory());
        config.setString("checkpoint.interval", "1 s");
        config.setString("dlq.topic", dlqTopic);
        config.set(FraudDetectionOptions.TRANSACTIONS_TOPIC, transactionsTopic);
        config.set(FraudDetectionOptions.RULES_TOPIC, rulesTopic);
        config.set(FraudDetectionOptions.ALERTS_TOPIC, alertsTopic);
        config.set(FraudDetectionOptions.MAX_OUT_OF_ORDERNESS, Duration.ofSeconds(30));

        List<FraudRule> rules = rules();
        SerializationSchema<FraudRule> ruleSerializer =
                ConfluentAvro.serializer(FraudRule.class, rulesTopic, config);
        ruleSerializer.open(null);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (FraudRule rule : rules) {
                producer.send(
                        new ProducerRecord<>(
                                rulesTopic,
                                rule.getRuleId().getBytes(StandardCharsets.UTF_8),
                                ruleSerializer.serialize(rule)));
            }
        }

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        FraudDetectionJob.build(env, config);
        JobID job = FLINK.cluster().submit(env, "fraud-detection").getJobID();
        try {
            awaitCommitted("fraud-" + suffix, new TopicPartition(rulesTopic, 0), rules.size());

            List<PaymentTransaction> payments =
                    TransactionGenerator.builder()
                            .seed(7)
                            .cards(300)
                            .transactions(6_000)
                            .meanGap(Duration.ofSeconds(5))
                            .velocityBursts(10)
                            .amountSpikes(10)
                            .impossibleTravel(10)
                            .cardTesting(10)
                            .build()
                            .generate();
            TreeSet<String> expected =
                    ReferenceModel.expectedAlerts(
                            payments,
                            rules,
                            FraudDetectionOptions.MAX_HISTORY.defaultValue(),
                            FraudDetectionOptions.MAX_HISTORY_AGE.defaultValue().toMillis());
            for (String rule :
                    List.of("velocity", "amount-anomaly", "impossible-travel", "card-testing")) {
                assertThat(expected)
                        .as("planted %s fraud is found", rule)
                        .anyMatch(a -> a.startsWith(rule + "|"));
            }
            // 40 planted patterns, plus what the background traffic trips by itself.
            assertThat(expected).hasSizeGreaterThanOrEqualTo(40);
            produceOutOfOrder(transactionsTopic, payments, config);

            List<FraudAlert> alerts = awaitAlerts(alertsTopic, expected.size(), config);
            TreeSet<String> actual = new TreeSet<>();
            for (FraudAlert alert : alerts) {
                String key =
                        alert.getRuleId()
                                + "|"
                                + alert.getRuleVersion()
                                + "|"
                                + alert.getTransactionId();
                assertThat(actual.add(key)).as("alert %s once", key).isTrue();
                assertThat(alert.getAlertId())
                        .isEqualTo(
                                Alerts.alertId(
                                        alert.getRuleId(),
                                        alert.getRuleVersion(),
                                        alert.getTransactionId().toString()));
            }
            assertThat(actual).isEqualTo(expected);
            System.out.printf(
                    "fraud-detection: %d payments, %d alerts (%s), equal to the reference model%n",
                    payments.size(),
                    actual.size(),
                    actual.stream()
                            .collect(
                                    java.util.stream.Collectors.groupingBy(
                                            a -> a.substring(0, a.indexOf('|')),
                                            java.util.TreeMap::new,
                                            java.util.stream.Collectors.counting())));

            List<DeadLetter> letters = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record :
                    KAFKA.service().readCommitted(dlqTopic, 1, Duration.ofSeconds(60))) {
                letters.add(DeadLetterCodec.decode(record.value()));
            }
            assertThat(letters).extracting(DeadLetter::getReason).contains("WRONG_MAGIC_BYTE");
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    /**
     * Sends the payments keyed by card with up to 5 s of event-time disorder (less than the job's
     * 30 s of tolerated out-of-orderness, so none is late), a malformed record, and then one
     * far-future payment per partition so that event time passes every real payment.
     */
    private static void produceOutOfOrder(
            String topic, List<PaymentTransaction> payments, Configuration config)
            throws Exception {
        SerializationSchema<PaymentTransaction> serializer =
                ConfluentAvro.serializer(PaymentTransaction.class, topic, config);
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
        Instant last = payments.get(payments.size() - 1).getEventTime();
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (long[] o : order) {
                PaymentTransaction tx = payments.get((int) o[1]);
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                tx.getCardId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(tx)));
            }
            producer.send(
                    new ProducerRecord<>(
                            topic,
                            0,
                            "bad".getBytes(StandardCharsets.UTF_8),
                            "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8)));
            for (int p = 0; p < PARTITIONS; p++) {
                PaymentTransaction sentinel =
                        PaymentTransaction.newBuilder(payments.get(0))
                                .setTransactionId(
                                        UUID.nameUUIDFromBytes(("sentinel" + p).getBytes()))
                                .setCardId("sentinel-" + p)
                                .setChannel(PaymentChannel.ECOMMERCE)
                                .setLocation(null)
                                .setAmount(new BigDecimal("1.0000"))
                                .setEventTime(last.plus(Duration.ofHours(1)))
                                .build();
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                p,
                                sentinel.getCardId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(sentinel)));
            }
        }
    }

    private static List<FraudAlert> awaitAlerts(String topic, int expected, Configuration config)
            throws Exception {
        DeserializationSchema<FraudAlert> deserializer =
                ConfluentAvro.deserializer(FraudAlert.class, config);
        deserializer.open(null);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        List<FraudAlert> alerts = List.of();
        int stable = 0;
        while (System.nanoTime() < deadline) {
            List<FraudAlert> read = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : KAFKA.service().readCommitted(topic)) {
                read.add(deserializer.deserialize(record.value()));
            }
            // Done when the expected number arrived and nothing more comes for a few seconds.
            stable = read.size() == alerts.size() && read.size() >= expected ? stable + 1 : 0;
            alerts = read;
            if (stable >= 3) {
                break;
            }
            Thread.sleep(1000);
        }
        return alerts;
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
        throw new AssertionError("The job did not read the rules from " + partition);
    }
}
