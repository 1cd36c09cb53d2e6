package io.pipelinekit.jobs.fraud;

import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.SavepointFixtures;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.kafka.TopicPositions;

import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.file.SeekableByteArrayInput;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upgrade safety for the whole fraud-detection job: every build restores the savepoint each release
 * took of it (sources' offsets, rules in broadcast state, card histories, payments waiting for
 * event time, the alerts sink's transactions) and requires the alerts a run that never stopped
 * would have given from that point, on a fresh broker where the inputs before the savepoint offsets
 * are padding no source may read.
 */
class FraudDetectionSavepointFixtureITCase {

    /** Every release whose savepoints deployments may still restore from. */
    static final List<String> VERSIONS = List.of("0.2");

    static final SavepointFixtures FIXTURES =
            SavepointFixtures.in(Path.of("src/test/resources/savepoint-fixtures/fraud-detection"));

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(4));

    /** A broker per test: the fixture's topic names are fixed, and a restore recreates them. */
    private EmbeddedKafkaBroker kafka;

    @BeforeEach
    void startBroker() {
        kafka = EmbeddedKafkaBroker.builder().build().start();
    }

    @AfterEach
    void stopBroker() {
        kafka.close();
    }

    @ParameterizedTest(name = "savepoint of {0}")
    @FieldSource("VERSIONS")
    void restoresTheSavepointOfEveryRelease(String version) throws Exception {
        SavepointFixtures.Fixture fixture = FIXTURES.read(version);
        List<PaymentTransaction> before =
                readAvro(fixture.file("payments-before.avro"), PaymentTransaction.class);
        List<PaymentTransaction> after =
                readAvro(fixture.file("payments-after.avro"), PaymentTransaction.class);
        List<FraudRule> rules = readAvro(fixture.file("rules.avro"), FraudRule.class);
        TreeSet<String> alertedBefore = lines(fixture.file("alerts-before.txt"));
        List<PaymentTransaction> all = new ArrayList<>(before);
        all.addAll(after);

        TreeSet<String> everyAlert = FraudTestBed.expectedAlerts(all, rules, tx -> true);
        assertThat(everyAlert)
                .as("the release's alerts before its savepoint agree with the reference model")
                .containsAll(alertedBefore);
        TreeSet<String> expected = new TreeSet<>(everyAlert);
        expected.removeAll(alertedBefore);
        // The check depends on the restored state: without it (no rules, no history, nothing
        // pending) the same payments give other alerts.
        assertThat(expected)
                .isNotEqualTo(FraudTestBed.expectedAlerts(after, rules, tx -> true))
                .isNotEmpty();
        TreeSet<String> beforeIds = new TreeSet<>();
        before.forEach(tx -> beforeIds.add(tx.getTransactionId().toString()));
        long heldBack =
                expected.stream()
                        .filter(a -> beforeIds.contains(a.substring(a.lastIndexOf('|') + 1)))
                        .count();
        assertThat(heldBack)
                .as("alerts of payments the savepoint held waiting for event time")
                .isPositive();

        FraudTestBed bed = testBed(fixture.fact("suffix"));
        TopicPositions.recreate(kafka, fixture.facts());
        bed.createOutputTopics();
        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        FraudDetectionJob.build(env, bed.config);
        JobID job =
                FLINK.cluster()
                        .submitRestoring(env, FraudDetectionJob.NAME, fixture.savepointPath())
                        .getJobID();
        try {
            // A savepoint this build cannot restore (a uid without its state, a serializer that
            // cannot read it) fails the job here, with Flink's reason.
            FLINK.cluster().awaitRunning(job, Duration.ofMinutes(2));
            Instant last = after.get(after.size() - 1).getEventTime();
            bed.produce(after, last.plus(Duration.ofHours(1)), false);

            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .isEqualTo(expected);
            assertThat(kafka.readCommitted(bed.dlq))
                    .as("no source resumed before its savepoint offsets (padding dead-lettered)")
                    .isEmpty();
            System.out.printf(
                    "fraud-detection restored the savepoint of %s: %d alerts after it (%d of"
                            + " payments it held pending), equal to a run that never stopped%n",
                    version, expected.size(), heldBack);
        } finally {
            FLINK.cluster().cancel(job, Duration.ofSeconds(30));
        }
    }

    /**
     * Writes this build's fixture: {@code ./mvnw -pl pipeline-jobs verify -Dtest=none
     * -Dit.test=FraudDetectionSavepointFixtureITCase#writeFixture -Dfixtures.write=<version>}.
     */
    @Test
    @EnabledIfSystemProperty(named = SavepointFixtures.WRITE_PROPERTY, matches = ".+")
    void writeFixture() throws Exception {
        String version = SavepointFixtures.versionToWrite().orElseThrow();
        String suffix = "fixture-v" + version;
        FraudTestBed bed = testBed(suffix);
        kafka.createTopics(
                new NewTopic(bed.transactions, FraudTestBed.PARTITIONS, (short) 1),
                new NewTopic(bed.rules, 1, (short) 1));
        bed.createOutputTopics();
        List<FraudRule> rules = FraudRules.defaults();
        bed.publishRules(rules);
        List<PaymentTransaction> payments = FraudTestBed.generate(31, 3_000);
        // Split right after a payment that alerts: the newest payments wait in state for event
        // time at the savepoint, so the restored job must score this one from its state.
        TreeSet<String> alerting = new TreeSet<>();
        FraudTestBed.expectedAlerts(payments, rules, tx -> true)
                .forEach(a -> alerting.add(a.substring(a.lastIndexOf('|') + 1)));
        int split = payments.size() / 2;
        while (!alerting.contains(payments.get(split - 1).getTransactionId().toString())) {
            split++;
        }
        List<PaymentTransaction> before = payments.subList(0, split);
        List<PaymentTransaction> after = payments.subList(before.size(), payments.size());

        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        FraudDetectionJob.build(env, bed.config);
        JobID job = FLINK.cluster().submit(env, FraudDetectionJob.NAME).getJobID();
        bed.awaitRulesInForce();
        // No sentinel: the last 30 s of event time stay pending in state, scored after restore.
        bed.produce(before, null, false);
        bed.awaitConsumed();
        long checkpoints = FLINK.cluster().completedCheckpoints(job);
        FLINK.cluster().awaitCompletedCheckpoints(job, checkpoints + 2, Duration.ofMinutes(1));
        String savepoint = FLINK.cluster().stopWithSavepoint(job, Duration.ofMinutes(2));

        TreeSet<String> alerted = FraudTestBed.alertKeys(bed.awaitAlerts(1));
        assertThat(alerted).isNotEmpty();
        Map<String, String> facts =
                new TreeMap<>(TopicPositions.record(kafka, bed.transactions, bed.rules));
        facts.put("suffix", suffix);
        facts.put("written-by", "pipeline-kit " + version + " (Flink 1.20, parallelism 2)");
        Path written =
                FIXTURES.write(
                        version,
                        savepoint,
                        facts,
                        Map.of(
                                "payments-before.avro", writeAvro(before),
                                "payments-after.avro", writeAvro(after),
                                "rules.avro", writeAvro(rules),
                                "alerts-before.txt",
                                        String.join("\n", alerted)
                                                .getBytes(StandardCharsets.UTF_8)));
        System.out.printf(
                "Wrote the savepoint fixture %s: %d payments before the savepoint, %d alerts%n",
                written, before.size(), alerted.size());
    }

    private FraudTestBed testBed(String suffix) {
        return new FraudTestBed(
                kafka, REGISTRY.registry().url(), FLINK.cluster().checkpointDirectory(), suffix);
    }

    private static <T extends SpecificRecord> byte[] writeAvro(List<T> records) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) records.get(0).getClass();
        try (DataFileWriter<T> writer = new DataFileWriter<>(new SpecificDatumWriter<>(type))) {
            writer.setCodec(CodecFactory.deflateCodec(9));
            writer.create(records.get(0).getSchema(), bytes);
            for (T record : records) {
                writer.append(record);
            }
        }
        return bytes.toByteArray();
    }

    /** Reads with this build's schema: the fixture's data evolves by Avro's rules like topics. */
    private static <T> List<T> readAvro(byte[] file, Class<T> type) throws IOException {
        List<T> records = new ArrayList<>();
        try (DataFileReader<T> reader =
                new DataFileReader<>(
                        new SeekableByteArrayInput(file), new SpecificDatumReader<>(type))) {
            reader.forEach(records::add);
        }
        return records;
    }

    private static TreeSet<String> lines(byte[] file) {
        TreeSet<String> lines = new TreeSet<>();
        for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                lines.add(line.trim());
            }
        }
        return lines;
    }
}
