package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.VelocityParameters;
import io.pipelinekit.schemas.payments.GeoLocation;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of malformed input on both of fraud-detection's inputs, mixed into good traffic: wire
 * format damage, records of another contract, contract violations, impossible values and invalid
 * rule definitions. Every bad record ends in the dead-letter topic exactly once with its stage and
 * reason, every good record is scored (the alerts equal the reference model's for the good records,
 * extreme but valid values included), and no record restarts the job.
 */
class FraudBadInputITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    /** One kind of bad input: what is sent, and the dead letter it must become. */
    private record BadInput(String kind, FailureStage stage, String reason, String marker) {}

    @Test
    void everyBadRecordIsDeadLetteredWithItsReasonAndEveryGoodOneIsScored() throws Exception {
        FraudTestBed bed =
                new FraudTestBed(
                        KAFKA.service(),
                        REGISTRY.registry().url(),
                        FLINK.cluster().checkpointDirectory());
        bed.config.setString("dlq.max-record-bytes", "65536");
        bed.publishRules(FraudRules.defaults());
        List<BadInput> corpus = new ArrayList<>();
        publishBadRules(bed, corpus);

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        FraudDetectionJob.build(env, bed.config);
        JobID job = FLINK.cluster().submit(env, FraudDetectionJob.NAME).getJobID();
        try {
            bed.awaitRulesInForce();
            List<PaymentTransaction> generated = FraudTestBed.generate(21, 3_000);
            Instant mid = generated.get(generated.size() / 2).getEventTime();
            List<PaymentTransaction> good = new ArrayList<>(generated);
            // Extreme but valid: scored like any other payment.
            good.add(payment("huge-amount", "99999999999999.9999", mid, null));
            good.add(payment("smallest-amount", "0.0001", mid, null));
            good.add(
                    payment(
                            "pole-location",
                            "12.0000",
                            mid,
                            new GeoLocation(90.0, -180.0, "AQ", "")));
            List<PaymentTransaction> invalid = invalidPayments(mid, corpus);
            List<PaymentTransaction> all = new ArrayList<>(good);
            all.addAll(invalid);
            all.sort((a, b) -> a.getEventTime().compareTo(b.getEventTime()));
            TreeSet<String> expected =
                    FraudTestBed.expectedAlerts(good, FraudRules.defaults(), tx -> true);

            sendDamagedRecords(bed, corpus);
            Instant last = all.get(all.size() - 1).getEventTime();
            bed.produce(all, last.plusSeconds(3600), false);

            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .as("alerts of the good records")
                    .isEqualTo(expected);
            List<DeadLetter> letters = awaitDeadLetters(bed, corpus.size());
            assertCorpusDeadLettered(corpus, letters);
            assertThat(FLINK.cluster().restarts(job)).as("restarts caused by data").isZero();
            System.out.printf(
                    "fraud-detection bad input: %d kinds dead-lettered, %d good payments scored,"
                            + " %d alerts, 0 restarts%n",
                    corpus.size(), good.size(), expected.size());
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    /** Decodable payments that break the contract: the validation step dead-letters them. */
    private static List<PaymentTransaction> invalidPayments(Instant at, List<BadInput> corpus) {
        List<PaymentTransaction> invalid = new ArrayList<>();
        Object[][] cases = {
            {"zero-amount", "0.0000", null, "", "NON_POSITIVE_AMOUNT"},
            {"negative-amount", "-25.0000", null, "", "NON_POSITIVE_AMOUNT"},
            {"blank-card", "10.0000", null, " ", "MISSING_CARD"},
            {
                "latitude-out-of-range",
                "10.0000",
                new GeoLocation(95.0, 10.0, "", ""),
                "",
                "INVALID_LOCATION"
            },
            {
                "longitude-out-of-range",
                "10.0000",
                new GeoLocation(10.0, -181.0, "", ""),
                "",
                "INVALID_LOCATION"
            },
            {
                "latitude-nan",
                "10.0000",
                new GeoLocation(Double.NaN, 10.0, "", ""),
                "",
                "INVALID_LOCATION"
            },
            {
                "longitude-infinite",
                "10.0000",
                new GeoLocation(10.0, Double.POSITIVE_INFINITY, "", ""),
                "",
                "INVALID_LOCATION"
            },
        };
        for (Object[] c : cases) {
            PaymentTransaction tx = payment((String) c[0], (String) c[1], at, (GeoLocation) c[2]);
            if (!((String) c[3]).isEmpty()) {
                tx.setCardId((String) c[3]);
            }
            invalid.add(tx);
            corpus.add(
                    new BadInput(
                            (String) c[0],
                            FailureStage.VALIDATE,
                            (String) c[4],
                            tx.getTransactionId().toString()));
        }
        return invalid;
    }

    /** Records the deserializer cannot turn into a payment, keyed by their kind. */
    private static void sendDamagedRecords(FraudTestBed bed, List<BadInput> corpus)
            throws Exception {
        SerializationSchema<PaymentTransaction> payments =
                ConfluentAvro.serializer(PaymentTransaction.class, bed.transactions, bed.config);
        payments.open(null);
        byte[] valid = payments.serialize(payment("valid", "10.0000", Instant.now(), null));
        byte[] header = Arrays.copyOf(valid, 5);
        Map<String, byte[]> damaged = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        damaged.put("empty-value", new byte[0]);
        reasons.put("empty-value", "TRUNCATED_HEADER");
        damaged.put("short-header", new byte[] {0, 0, 0});
        reasons.put("short-header", "TRUNCATED_HEADER");
        damaged.put(
                "wrong-magic-byte",
                concat(new byte[] {1}, Arrays.copyOfRange(valid, 1, valid.length)));
        reasons.put("wrong-magic-byte", "WRONG_MAGIC_BYTE");
        damaged.put(
                "json-text",
                "{\"cardId\": \"c1\", \"amount\": 10}".getBytes(StandardCharsets.UTF_8));
        reasons.put("json-text", "WRONG_MAGIC_BYTE");
        damaged.put("avro-without-header", Arrays.copyOfRange(valid, 5, valid.length));
        reasons.put("avro-without-header", "WRONG_MAGIC_BYTE");
        damaged.put(
                "unknown-schema-id",
                concat(
                        new byte[] {0, 0x7f, (byte) 0xff, (byte) 0xff, 0x42},
                        Arrays.copyOfRange(valid, 5, valid.length)));
        reasons.put("unknown-schema-id", "UNKNOWN_SCHEMA_ID");
        damaged.put("header-only", header);
        reasons.put("header-only", "TRUNCATED_PAYLOAD");
        damaged.put("truncated-body", Arrays.copyOf(valid, 5 + (valid.length - 5) / 2));
        reasons.put("truncated-body", "TRUNCATED_PAYLOAD");
        damaged.put("negative-string-length", concat(header, new byte[] {0x01, 0x41}));
        reasons.put("negative-string-length", "MALFORMED_PAYLOAD");
        damaged.put("tombstone", null);
        reasons.put("tombstone", "NULL_VALUE");
        byte[] oversized = new byte[100_000];
        System.arraycopy(valid, 0, oversized, 0, valid.length);
        damaged.put("oversized", oversized);
        reasons.put("oversized", "OVERSIZED");
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (Map.Entry<String, byte[]> record : damaged.entrySet()) {
                String marker = "corpus-" + record.getKey();
                producer.send(
                                new ProducerRecord<>(
                                        bed.transactions,
                                        marker.getBytes(StandardCharsets.UTF_8),
                                        record.getValue()))
                        .get();
                corpus.add(
                        new BadInput(
                                record.getKey(),
                                FailureStage.DESERIALIZE,
                                reasons.get(record.getKey()),
                                marker));
            }
        }
    }

    /** Rule definitions the job must refuse; the rules in force stay as they are. */
    private static void publishBadRules(FraudTestBed bed, List<BadInput> corpus) throws Exception {
        SerializationSchema<FraudRule> serializer =
                ConfluentAvro.serializer(FraudRule.class, bed.rules, bed.config);
        serializer.open(null);
        Map<String, FraudRule> rules = new LinkedHashMap<>();
        Map<String, String> keys = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        FraudRule blank = FraudRules.velocity(9, 60, 5, null);
        blank.setRuleId("");
        rules.put("rule-without-id", blank);
        keys.put("rule-without-id", "");
        reasons.put("rule-without-id", "INVALID_RULE");
        rules.put("rule-under-another-key", FraudRules.velocity(9, 60, 5, null));
        keys.put("rule-under-another-key", "not-velocity");
        reasons.put("rule-under-another-key", "RULE_KEY_MISMATCH");
        rules.put(
                "rule-with-negative-window",
                FraudRules.rule("velocity", 9, new VelocityParameters(-60, 5, null)));
        reasons.put("rule-with-negative-window", "INVALID_RULE");
        rules.put(
                "rule-looking-back-too-far",
                FraudRules.rule("velocity", 9, new VelocityParameters(3 * 86_400, 5, null)));
        reasons.put("rule-looking-back-too-far", "RULE_EXCEEDS_HISTORY");
        rules.put(
                "rule-needing-too-much-history",
                FraudRules.rule("velocity", 9, new VelocityParameters(60, 500, null)));
        reasons.put("rule-needing-too-much-history", "RULE_EXCEEDS_HISTORY");
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (Map.Entry<String, FraudRule> rule : rules.entrySet()) {
                String marker = "corpus-" + rule.getKey();
                rule.getValue().setDescription(marker);
                String key = keys.getOrDefault(rule.getKey(), rule.getValue().getRuleId());
                producer.send(
                                new ProducerRecord<>(
                                        bed.rules,
                                        key.getBytes(StandardCharsets.UTF_8),
                                        serializer.serialize(rule.getValue())))
                        .get();
                corpus.add(
                        new BadInput(
                                rule.getKey(),
                                FailureStage.VALIDATE,
                                reasons.get(rule.getKey()),
                                marker));
            }
            String marker = "corpus-rule-not-avro";
            producer.send(
                            new ProducerRecord<>(
                                    bed.rules,
                                    marker.getBytes(StandardCharsets.UTF_8),
                                    "velocity: 5 per minute".getBytes(StandardCharsets.UTF_8)))
                    .get();
            corpus.add(
                    new BadInput(
                            "rule-not-avro", FailureStage.DESERIALIZE, "WRONG_MAGIC_BYTE", marker));
        }
    }

    private static void assertCorpusDeadLettered(List<BadInput> corpus, List<DeadLetter> letters) {
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(20);
        List<String> problems = new ArrayList<>();
        for (BadInput bad : corpus) {
            List<DeadLetter> matching = new ArrayList<>();
            for (DeadLetter letter : letters) {
                if (contains(letter, bad.marker)) {
                    matching.add(letter);
                }
            }
            if (matching.size() != 1) {
                problems.add(bad.kind + ": " + matching.size() + " dead letters");
                continue;
            }
            DeadLetter letter = matching.get(0);
            if (letter.getStage() != bad.stage || !letter.getReason().equals(bad.reason)) {
                problems.add(
                        bad.kind
                                + ": expected "
                                + bad.stage
                                + "/"
                                + bad.reason
                                + ", was "
                                + letter.getStage()
                                + "/"
                                + letter.getReason()
                                + " ("
                                + letter.getErrorMessage()
                                + ")");
            }
        }
        assertThat(problems).as("bad inputs not dead-lettered as expected").isEmpty();
        assertThat(letters).as("dead letters, one per bad input").hasSameSizeAs(corpus);
    }

    private static boolean contains(DeadLetter letter, String marker) {
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        return indexOf(letter.getKey(), needle) || indexOf(letter.getValue(), needle);
    }

    private static boolean indexOf(java.nio.ByteBuffer buffer, byte[] needle) {
        if (buffer == null) {
            return false;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1)
                .contains(new String(needle, StandardCharsets.ISO_8859_1));
    }

    private static List<DeadLetter> awaitDeadLetters(FraudTestBed bed, int expected)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        List<DeadLetter> letters = new ArrayList<>();
        int stable = 0;
        while (System.nanoTime() < deadline && stable < 3) {
            List<DeadLetter> read = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : KAFKA.service().readCommitted(bed.dlq)) {
                read.add(DeadLetterCodec.decode(record.value()));
            }
            stable = read.size() >= expected && read.size() == letters.size() ? stable + 1 : 0;
            letters = read;
            Thread.sleep(1000);
        }
        return letters;
    }

    private static PaymentTransaction payment(
            String kind, String amount, Instant at, GeoLocation location) {
        return PaymentTransaction.newBuilder()
                .setTransactionId(UUID.randomUUID())
                .setCardId("corpus-card-" + kind)
                .setAccountId("corpus-account")
                .setAmount(new BigDecimal(amount))
                .setCurrency("EUR")
                .setMerchantId("corpus-merchant")
                .setMerchantName(null)
                .setMcc("5999")
                .setLocation(location)
                .setChannel(
                        location == null
                                ? io.pipelinekit.schemas.payments.PaymentChannel.ECOMMERCE
                                : io.pipelinekit.schemas.payments.PaymentChannel.CARD_PRESENT)
                .setEventTime(at)
                .build();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
