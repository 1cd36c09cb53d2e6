package io.pipelinekit.bench.micro;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.jobs.fraud.internal.FraudScoringFunction;
import io.pipelinekit.jobs.fraud.internal.RuleUpdate;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.TransactionGenerator;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The fraud scoring operator per payment on heap and on RocksDB state, without Kafka or the
 * network: state reads and writes, event-time timers and rule evaluation, as in the job. RocksDB
 * gets 256 MiB, a benchmark cluster slot's managed memory ({@code -Dbench.slot-memory=64m} to see a
 * smaller slot).
 */
@State(Scope.Thread)
public class ScoringStateBenchmark {

    /** The state backend, as the job's {@code state.backend.type}. */
    @Param({"hashmap", "rocksdb"})
    public String backend;

    private static final int CARDS = 1_000;

    /** RocksDB's memory, as a TaskManager slot of the benchmark cluster has it. */
    private static final MemorySize SLOT_MEMORY =
            MemorySize.parse(System.getProperty("bench.slot-memory", "256m"));

    private static final int PAYMENTS = 100_000;

    /** The watermark trails the newest event time by the job's default out-of-orderness. */
    private static final long OUT_OF_ORDERNESS_MS = Duration.ofSeconds(10).toMillis();

    private KeyedTwoInputStreamOperatorTestHarness<
                    String, PaymentTransaction, RuleUpdate, FraudAlert>
            harness;
    private List<PaymentTransaction> payments;
    private int next;
    private long maxEventTime = Long.MIN_VALUE;
    private long shift;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        // The benchmark job's input: 100 payments per card on average, Zipf-distributed.
        payments =
                TransactionGenerator.builder()
                        .seed(7)
                        .cards(CARDS)
                        .transactions(PAYMENTS)
                        .build()
                        .generate();
        CoBroadcastWithKeyedOperator<String, PaymentTransaction, RuleUpdate, FraudAlert> operator =
                new CoBroadcastWithKeyedOperator<>(
                        new FraudScoringFunction(
                                100,
                                Duration.ofDays(1),
                                Duration.ofDays(30),
                                DeadLetterPolicy.builder("bench").build()),
                        List.of(FraudScoringFunction.RULES));
        harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        operator, PaymentTransaction::getCardId, null, Types.STRING);
        if ("rocksdb".equals(backend)) {
            EmbeddedRocksDBStateBackend rocksDb = new EmbeddedRocksDBStateBackend(true);
            // The harness's task has 3 MiB of managed memory, so RocksDB would flush and stall
            // on nearly every write; a TaskManager slot has hundreds of MiB.
            rocksDb.getMemoryConfiguration().setFixedMemoryPerSlot(SLOT_MEMORY);
            harness.setStateBackend(rocksDb);
        } else {
            harness.setStateBackend(new HashMapStateBackend());
        }
        harness.setup();
        harness.open();
        harness.processWatermark2(Watermark.MAX_WATERMARK);
        harness.processElement2(
                new StreamRecord<>(RuleUpdate.of(FraudRules.velocity(1, 60, 5, "3000"))));
        harness.processElement2(
                new StreamRecord<>(RuleUpdate.of(FraudRules.amountAnomaly(1, 5, 20, 4.0))));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        harness.close();
    }

    /** One payment in; every 100 payments the watermark advances and due payments are scored. */
    @Benchmark
    public int payment() throws Exception {
        PaymentTransaction tx = payments.get(next);
        long eventTime = tx.getEventTime().toEpochMilli() + shift;
        if (shift != 0) {
            tx =
                    PaymentTransaction.newBuilder(tx)
                            .setEventTime(Instant.ofEpochMilli(eventTime))
                            .build();
        }
        harness.processElement1(new StreamRecord<>(tx, eventTime));
        maxEventTime = Math.max(maxEventTime, eventTime);
        if (++next == payments.size()) {
            // The input again, later in event time, so state and timers keep their shape.
            next = 0;
            shift = maxEventTime + 1 - payments.get(0).getEventTime().toEpochMilli();
        }
        int emitted = 0;
        if (next % 100 == 0) {
            harness.processWatermark1(new Watermark(maxEventTime - OUT_OF_ORDERNESS_MS));
            emitted = harness.getOutput().size();
            harness.getOutput().clear();
        }
        return emitted;
    }
}
