package io.pipelinekit.jobs.fraud;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.chaos.ChaosReport;
import io.pipelinekit.testkit.chaos.ChaosServices;
import io.pipelinekit.testkit.chaos.FailAfterCheckpoint;
import io.pipelinekit.testkit.chaos.FaultInjector;
import io.pipelinekit.testkit.chaos.FaultKind;
import io.pipelinekit.testkit.chaos.FaultPlan;
import io.pipelinekit.testkit.chaos.ReadCommittedTail;
import io.pipelinekit.testkit.chaos.SetEquality;
import io.pipelinekit.testkit.data.TransactionGenerator;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.s3.EmbeddedS3;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * fraud-detection under a seeded plan of mixed faults while payments flow: TaskManagers terminated,
 * hard restarts of the Kafka broker, and S3 outages during checkpoints, with RocksDB state
 * checkpointed to S3 at parallelism 2. The alerts a read_committed reader sees must be a
 * duplicate-free subset of the fault-free alerts while the faults run, and equal to them (each
 * exactly once) after the final drain.
 *
 * <p>{@code ./mvnw verify} runs the short version (4 faults over 6,000 payments). The long version,
 * {@code -Dchaos.long=true}, runs 20 faults over 100,000 payments and writes its report to {@code
 * target/chaos/fraud-detection.md} (docs/reliability.md shows the last one). Replay a failing run
 * with {@code -Dchaos.seed=<seed>}.
 */
class FraudChaosITCase {

    private static final Logger LOG = LoggerFactory.getLogger(FraudChaosITCase.class);

    private static final boolean LONG = Boolean.getBoolean("chaos.long");
    private static final int PAYMENTS = LONG ? 100_000 : 6_000;
    private static final int FAULTS = LONG ? 20 : 4;

    /** The name the plan arms the job's {@link FailAfterCheckpoint} operator under. */
    private static final String FAILURE_POINT = "fraud-chaos";

    /** Payments are produced in batches over the fault window, not all at once. */
    private static final int BATCHES = 40;

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    private static ChaosServices services;
    private static EmbeddedKafkaBroker broker;
    private static EmbeddedS3 s3;
    private static FlinkTestCluster flink;

    @BeforeAll
    static void start() throws Exception {
        // Private services: the plan kills them, which the shared ones must never see.
        services = ChaosServices.start(2);
        broker = services.broker();
        s3 = services.s3();
        flink = services.flink();
    }

    @AfterAll
    static void stop() throws Exception {
        if (services != null) {
            services.close();
        }
    }

    @Test
    void alertsStayExactlyOnceAndEqualTheFaultFreeAlertsUnderMixedFaults() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(FaultPlan.seedFromSystemProperty(20261122L))
                        .faults(FAULTS)
                        .kinds(
                                FaultKind.TASK_MANAGER_KILL,
                                FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT,
                                FaultKind.KAFKA_BROKER_RESTART,
                                FaultKind.S3_OUTAGE)
                        .spacing(Duration.ofSeconds(4), Duration.ofSeconds(8))
                        .downtime(Duration.ofSeconds(1), Duration.ofSeconds(3))
                        .build();
        LOG.info("{}", plan.toTable());

        FraudTestBed bed = new FraudTestBed(broker, REGISTRY.registry().url(), "unused");
        bed.config.setString("checkpoint.storage", flink.checkpointDirectory());
        bed.config.set(CheckpointOptions.PRESET, CheckpointPreset.LARGE_STATE);
        bed.config.setString("checkpoint.interval", "1 s");
        bed.publishRules(FraudRules.defaults());
        List<PaymentTransaction> payments = payments();
        TreeSet<String> expected =
                FraudTestBed.expectedAlerts(payments, FraudRules.defaults(), tx -> true);
        LOG.info("{} payments, {} fault-free alerts", payments.size(), expected.size());

        JobID job = submit(bed);
        ChaosReport.Builder report = ChaosReport.builder().plan(plan).recordsIn(payments.size());
        DeserializationSchema<FraudAlert> alerts =
                ConfluentAvro.deserializer(FraudAlert.class, bed.config);
        alerts.open(null);
        try (ReadCommittedTail output = ReadCommittedTail.start(broker, bed.alerts)) {
            flink.awaitRunning(job, Duration.ofMinutes(1));
            bed.awaitRulesInForce();
            AtomicReference<Exception> producerFailure = new AtomicReference<>();
            Thread producer = producer(bed, payments, plan, producerFailure);
            try (FaultInjector chaos =
                    FaultInjector.builder(plan)
                            .taskManagers(flink)
                            .operatorFailures(FAILURE_POINT)
                            .kafkaBroker(broker)
                            .s3(s3)
                            .outputProgress(output::count)
                            .checkpoints(flink, job)
                            .build()
                            .start()) {
                producer.start();
                chaos.awaitCompletion(plan.minimumDuration().multipliedBy(3).plusMinutes(2));
                // What read_committed readers saw while the faults ran: nothing twice, nothing
                // that the fault-free run does not alert.
                report.check(SetEquality.subset(expected, keys(output.records(), alerts)));
                producer.join(Duration.ofMinutes(5).toMillis());
                if (producerFailure.get() != null) {
                    throw producerFailure.get();
                }
                output.awaitCount(expected.size(), Duration.ofMinutes(3));
                // One more checkpoint after the drain: nothing more may become visible.
                flink.triggerCheckpoint(job, Duration.ofMinutes(1));
                report.events(chaos.events());
            }
            List<String> all = keys(broker.readCommitted(bed.alerts), alerts);
            report.check(SetEquality.equality(expected, all))
                    .recordsOut(all.size())
                    .flinkJob(flink, job);
        } finally {
            flink.cancel(job, Duration.ofMinutes(1));
        }
        ChaosReport result = report.build();
        String markdown = result.toMarkdown();
        LOG.info("Chaos report:\n{}", markdown);
        System.out.println(markdown);
        if (LONG) {
            Path file = Path.of("target/chaos/fraud-detection.md");
            Files.createDirectories(file.getParent());
            Files.writeString(
                    file,
                    "# fraud-detection under faults\n\n"
                            + "`./mvnw -pl pipeline-jobs verify -Dtest=none"
                            + " -Dsurefire.failIfNoSpecifiedTests=false"
                            + " -Dit.test=FraudChaosITCase -Dchaos.long=true`, "
                            + Instant.now()
                            + "\n\n"
                            + markdown,
                    StandardCharsets.UTF_8);
        }
        result.assertHolds();
        assertThat(result.faultsByKind().keySet())
                .containsExactlyInAnyOrderElementsOf(plan.kinds());
        assertThat(result.restarts().orElse(0))
                .as("task manager kills restart the job")
                .isGreaterThanOrEqualTo(
                        result.faultsByKind().getOrDefault(FaultKind.TASK_MANAGER_KILL, 0L));
    }

    /** Busier than the test bed's default: planted fraud in proportion to the traffic. */
    private static List<PaymentTransaction> payments() {
        int planted = Math.max(10, PAYMENTS / 500);
        return TransactionGenerator.builder()
                .seed(FaultPlan.seedFromSystemProperty(20261122L))
                .cards(Math.max(300, PAYMENTS / 100))
                .transactions(PAYMENTS)
                .meanGap(Duration.ofSeconds(5))
                .velocityBursts(planted)
                .amountSpikes(planted)
                .impossibleTravel(planted)
                .cardTesting(planted)
                .build()
                .generate();
    }

    /**
     * Produces the payments in event-time order in {@link #BATCHES} batches spread over the plan's
     * duration, the last one with a sentinel that moves event time past every payment.
     */
    private static Thread producer(
            FraudTestBed bed,
            List<PaymentTransaction> payments,
            FaultPlan plan,
            AtomicReference<Exception> failure) {
        long pause = plan.minimumDuration().toMillis() / BATCHES;
        Instant last = payments.get(payments.size() - 1).getEventTime();
        return new Thread(
                () -> {
                    try {
                        int size = (payments.size() + BATCHES - 1) / BATCHES;
                        for (int from = 0; from < payments.size(); from += size) {
                            int to = Math.min(payments.size(), from + size);
                            boolean lastBatch = to == payments.size();
                            // Not retried: a resent batch would duplicate payments. The
                            // idempotent producer rides out a broker restart on its own.
                            bed.produce(
                                    payments.subList(from, to),
                                    lastBatch ? last.plusSeconds(3600) : null,
                                    false);
                            Thread.sleep(pause);
                        }
                    } catch (Exception e) {
                        failure.set(e);
                    }
                },
                "payments-producer");
    }

    private static List<String> keys(
            List<ConsumerRecord<byte[], byte[]>> records,
            DeserializationSchema<FraudAlert> deserializer)
            throws Exception {
        List<String> keys = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            keys.add(FraudTestBed.alertKey(deserializer.deserialize(record.value())));
        }
        return keys;
    }

    private static JobID submit(FraudTestBed bed) throws Exception {
        StreamExecutionEnvironment env = flink.environment(2);
        // A pass-through operator in front of the scorer that the plan makes throw right after a
        // completed checkpoint: the job's own operators then restore and replay from it.
        FraudDetectionJob.build(
                env,
                bed.config,
                valid ->
                        valid.map(FailAfterCheckpoint.<PaymentTransaction>operator(FAILURE_POINT))
                                .returns(valid.getType())
                                .uid("chaos-failure-point")
                                .name("chaos-failure-point"));
        // The job's own policy gives up after 10 failures without an hour of quiet in between, as
        // production should; a chaos plan packs its faults into minutes.
        env.configure(ChaosServices.restartThroughEveryFault());
        return flink.submit(env, FraudDetectionJob.NAME).getJobID();
    }
}
