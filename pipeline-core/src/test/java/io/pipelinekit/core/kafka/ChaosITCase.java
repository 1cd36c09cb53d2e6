package io.pipelinekit.core.kafka;

import io.pipelinekit.core.checkpoint.CheckpointPreset;
import io.pipelinekit.core.checkpoint.CheckpointSettings;
import io.pipelinekit.testkit.chaos.ChaosReport;
import io.pipelinekit.testkit.chaos.ChaosServices;
import io.pipelinekit.testkit.chaos.FailAfterCheckpoint;
import io.pipelinekit.testkit.chaos.FaultEvent;
import io.pipelinekit.testkit.chaos.FaultInjector;
import io.pipelinekit.testkit.chaos.FaultKind;
import io.pipelinekit.testkit.chaos.FaultPlan;
import io.pipelinekit.testkit.chaos.ReadCommittedTail;
import io.pipelinekit.testkit.chaos.SequenceCheckResult;
import io.pipelinekit.testkit.chaos.SequenceChecker;
import io.pipelinekit.testkit.chaos.SetEquality;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.SequenceSource;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.s3.EmbeddedS3;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The exactly-once Kafka sink under a seeded plan of mixed faults while data flows: task managers
 * terminated, operators failing after completed checkpoints, hard restarts of the Kafka broker and
 * S3 outages during checkpoints, with RocksDB state checkpointed to S3. A read_committed consumer
 * must see every record exactly once and in order per key, both while the faults run and after a
 * final drain, and the keyed state must count each record exactly once. Replay a failing run with
 * {@code -Dchaos.seed=<seed>}.
 */
class ChaosITCase {

    private static final Logger LOG = LoggerFactory.getLogger(ChaosITCase.class);

    private static final int KEYS = 50;
    private static final long RECORDS = 50_000;

    /** After the final drain, nothing more may become visible for this long. */
    private static final Duration QUIET_PERIOD = Duration.ofSeconds(2);

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
    void readCommittedOutputStaysExactlyOnceUnderMixedFaults() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(FaultPlan.seedFromSystemProperty(20260101L))
                        .faults(5)
                        .kinds(
                                FaultKind.TASK_MANAGER_KILL,
                                FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT,
                                FaultKind.KAFKA_BROKER_RESTART,
                                FaultKind.S3_OUTAGE)
                        .spacing(Duration.ofSeconds(3), Duration.ofSeconds(6))
                        .downtime(Duration.ofSeconds(1), Duration.ofSeconds(3))
                        .build();
        LOG.info("{}", plan.toTable());
        String operator = "chaos-" + System.nanoTime();
        String topic = broker.createUniqueTopic("chaos", 4);
        JobID job = submit(topic, operator);

        SequenceChecker<String> during = SequenceChecker.exactlyOnce();
        ChaosReport.Builder report = ChaosReport.builder().plan(plan).recordsIn(RECORDS);
        try (ReadCommittedTail output = ReadCommittedTail.start(broker, topic)) {
            flink.awaitRunning(job, Duration.ofMinutes(1));
            try (FaultInjector chaos =
                    FaultInjector.builder(plan)
                            .taskManagers(flink)
                            .operatorFailures(operator)
                            .kafkaBroker(broker)
                            .s3(s3)
                            .outputProgress(output::count)
                            .checkpoints(flink, job)
                            .build()
                            .start()) {
                chaos.awaitCompletion(Duration.ofMinutes(2));
                // What read_committed readers saw while the faults ran: no duplicate, no gap.
                List<ConsumerRecord<byte[], byte[]>> soFar = output.records();
                for (ConsumerRecord<byte[], byte[]> record : soFar) {
                    Output value = Output.parse(record);
                    during.accept(value.key, value.sequence);
                }
                SequenceCheckResult whileFaulting = during.check();
                LOG.info("During the faults: {}", whileFaulting.summary());
                report.check(whileFaulting);

                // Final drain: all input arrives, a checkpoint commits whatever is still open,
                // one more completes after it, and then nothing more becomes visible.
                output.awaitCount(RECORDS, Duration.ofMinutes(2));
                flink.triggerCheckpoint(job, Duration.ofMinutes(1));
                flink.awaitCompletedCheckpoints(
                        job, flink.completedCheckpoints(job) + 1, Duration.ofMinutes(1));
                assertStaysAt(output, RECORDS, QUIET_PERIOD);
                report.events(chaos.events());
            }
            List<ConsumerRecord<byte[], byte[]>> all = broker.readCommitted(topic);
            SequenceChecker<String> last = SequenceChecker.exactlyOnce();
            List<String> values = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : all) {
                Output value = Output.parse(record);
                last.accept(value.key, value.sequence);
                values.add(new String(record.value(), StandardCharsets.UTF_8));
            }
            report.check(last.check(expectedPerKey()))
                    // Also proves the keyed RocksDB state counted every record exactly once.
                    .check(SetEquality.equality(expectedValues(), values))
                    .recordsOut(all.size())
                    .flinkJob(flink, job);
        } finally {
            flink.cancel(job, Duration.ofMinutes(1));
        }
        ChaosReport result = report.build();
        LOG.info("Chaos report:\n{}", result.toMarkdown());
        System.out.println(result.toMarkdown());
        result.assertHolds();
        org.assertj.core.api.Assertions.assertThat(result.faultsByKind().keySet())
                .containsExactlyInAnyOrderElementsOf(plan.kinds());
        // At least the task manager kill and the operator failure restart the job.
        org.assertj.core.api.Assertions.assertThat(result.restarts().orElse(0))
                .isGreaterThanOrEqualTo(2);
        // The S3 outages must have hit the checkpoints: the JobManager cannot write a
        // checkpoint's _metadata while S3 is down, so none may complete then. (They stall rather
        // than fail: the S3 client retries until the endpoint is back, so the failed count of an
        // S3 event is reported but usually 0 and not asserted.)
        for (FaultEvent event : result.events()) {
            if (event.kind() == FaultKind.S3_OUTAGE) {
                org.assertj.core.api.Assertions.assertThat(event.checkpointsCompletedWhileDown())
                        .as(
                                "checkpoints completed during S3 outage %s (%s)",
                                event, plan.replayHint())
                        .hasValue(0L);
            }
        }
    }

    /** Fails unless the tail shows exactly {@code expected} records for the whole period. */
    private static void assertStaysAt(ReadCommittedTail output, long expected, Duration period)
            throws InterruptedException {
        long deadline = System.nanoTime() + period.toNanos();
        do {
            org.assertj.core.api.Assertions.assertThat(output.count())
                    .as("read_committed records after the final drain")
                    .isEqualTo(expected);
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
    }

    private JobID submit(String topic, String operator) throws Exception {
        CheckpointSettings checkpoints =
                CheckpointSettings.builder(CheckpointPreset.LOW_LATENCY)
                        .storage(flink.checkpointDirectory())
                        .interval(Duration.ofMillis(500))
                        .build();
        StreamExecutionEnvironment env = flink.environment(2);
        checkpoints.applyTo(env);
        // Five faults in a row would back off for a minute with the preset's exponential delay.
        Configuration overrides = ChaosServices.restartThroughEveryFault();
        overrides.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        overrides.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        env.configure(overrides);

        Properties kafka = new Properties();
        kafka.setProperty("bootstrap.servers", broker.bootstrapServers());
        env.fromSource(
                        SequenceSource.upTo(RECORDS, 2),
                        WatermarkStrategy.noWatermarks(),
                        "sequence")
                .uid("sequence")
                .map(new Throttle())
                .uid("throttle")
                .name("throttle")
                .map(FailAfterCheckpoint.<Long>operator(operator))
                .returns(Types.LONG)
                .uid("chaos")
                .name("chaos")
                .keyBy(n -> n % KEYS, Types.LONG)
                .process(new CountPerKey())
                .uid("count-per-key")
                .name("count-per-key")
                .sinkTo(
                        ExactlyOnceKafkaSink.<String>builder()
                                .kafkaProperties(kafka)
                                .transactionalIdPrefix("chaos-it-" + System.nanoTime())
                                .checkpointSettings(checkpoints)
                                .fetchBrokerMaxTransactionTimeout()
                                .serializer(new KeyedSerializer(topic))
                                .build())
                .uid("eos-sink")
                .name("eos-sink");
        return flink.submit(env, "chaos").getJobID();
    }

    /** Key k has the numbers n with n % KEYS == k, as sequence n / KEYS. */
    private static Map<String, Long> expectedPerKey() {
        Map<String, Long> expected = new HashMap<>();
        for (int k = 0; k < KEYS; k++) {
            expected.put("k" + k, (RECORDS - k + KEYS - 1) / KEYS);
        }
        return expected;
    }

    private static List<String> expectedValues() {
        List<String> values = new ArrayList<>();
        for (long n = 0; n < RECORDS; n++) {
            values.add(format(n, n / KEYS + 1));
        }
        return values;
    }

    /** {@code k<key>:<sequence>:<count of the key's records so far, from keyed state>}. */
    private static String format(long n, long count) {
        return "k" + (n % KEYS) + ":" + n / KEYS + ":" + count;
    }

    private static final class Output {
        final String key;
        final long sequence;

        private Output(String key, long sequence) {
            this.key = key;
            this.sequence = sequence;
        }

        static Output parse(ConsumerRecord<byte[], byte[]> record) {
            String[] parts = new String(record.value(), StandardCharsets.UTF_8).split(":");
            return new Output(parts[0], Long.parseLong(parts[1]));
        }
    }

    /** Counts each key's records in keyed state: exactly-once state makes count = sequence + 1. */
    private static final class CountPerKey extends KeyedProcessFunction<Long, Long, String> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext context) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Long n, Context context, Collector<String> out)
                throws Exception {
            Long previous = count.value();
            long next = previous == null ? 1 : previous + 1;
            count.update(next);
            out.collect(format(n, next));
        }
    }

    /** Keyed by the key, so each key's records stay in order in one partition. */
    private static final class KeyedSerializer implements KafkaRecordSerializationSchema<String> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        KeyedSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                String value, KafkaSinkContext context, Long timestamp) {
            String key = value.substring(0, value.indexOf(':'));
            return new ProducerRecord<>(
                    topic,
                    key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** About 500 records per second per subtask, so that the input outlasts the faults. */
    private static final class Throttle implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private transient int count;

        @Override
        public Long map(Long value) throws InterruptedException {
            if (++count % 10 == 0) {
                Thread.sleep(20);
            }
            return value;
        }
    }
}
