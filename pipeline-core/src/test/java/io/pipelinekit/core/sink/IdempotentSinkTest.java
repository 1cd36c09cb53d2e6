package io.pipelinekit.core.sink;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterToleranceExceededException;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.pipelinekit.core.sink.InMemoryVersionedStore.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The buffering, retries and poison isolation of {@link IdempotentSink}, in Flink's operator. */
class IdempotentSinkTest {

    private InMemoryVersionedStore store;
    private CollectingDeadLetterOutput deadLetters;
    private final InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    private OneInputStreamOperatorTestHarness<String, ?> harness;

    private void open(TestInfo test, IdempotentSinkSettings.Builder settings) throws Exception {
        String name = test.getDisplayName() + System.nanoTime();
        store = InMemoryVersionedStore.create(name);
        IdempotentSinkSettings built = settings.deadLetterOutput(deadLetters).build();
        MockEnvironment environment =
                new MockEnvironmentBuilder()
                        .setMetricGroup(
                                new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                                    @Override
                                    public InternalOperatorMetricGroup getOrAddOperator(
                                            OperatorID id, String operatorName) {
                                        return metrics;
                                    }
                                })
                        .build();
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new SinkWriterOperatorFactory<>(
                                new InMemoryVersionedStore.Sink(name, built)),
                        StringSerializer.INSTANCE,
                        environment);
        harness.open();
    }

    private IdempotentSinkSettings.Builder settings(DeadLetterPolicy policy) {
        deadLetters = new CollectingDeadLetterOutput("dlq-" + System.nanoTime());
        return IdempotentSinkSettings.builder(policy)
                .maxBatchSize(100)
                .maxBufferedRecords(1000)
                .maxBufferTime(Duration.ofSeconds(5))
                .retries(4, Duration.ofMillis(1), Duration.ofMillis(4));
    }

    private static DeadLetterPolicy policy() {
        return DeadLetterPolicy.builder("sink-test").build();
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private long counter(String name) {
        return ((Counter) metrics.get(name)).getCount();
    }

    @Test
    void keepsTheNewestVersionPerKeyAndWritesEverythingBeforeTheBarrier(TestInfo test)
            throws Exception {
        open(test, settings(policy()));
        harness.processElement(record("a", 1, "first"), 0);
        harness.processElement(record("a", 3, "third"), 0);
        harness.processElement(record("a", 2, "second"), 0);
        harness.processElement(record("b", 1, "b1"), 0);
        assertThat(store.rows).isEmpty();

        harness.prepareSnapshotPreBarrier(1);

        assertThat(store.rows)
                .containsEntry("a", record("a", 3, "third"))
                .containsEntry("b", record("b", 1, "b1"))
                .hasSize(2);
        assertThat(store.writeSizes).containsExactly(2);
        assertThat(counter("staleRecordsSkipped")).isEqualTo(2);
        assertThat(counter("numRecordsSend")).isEqualTo(2);
        assertThat(counter("batches")).isEqualTo(1);
    }

    @Test
    void replayedAndOlderVersionsNeverMoveARowBackwards(TestInfo test) throws Exception {
        open(test, settings(policy()));
        harness.processElement(record("a", 5, "new"), 0);
        harness.prepareSnapshotPreBarrier(1);
        harness.processElement(record("a", 4, "old"), 0);
        harness.processElement(record("b", 1, "b"), 0);
        harness.prepareSnapshotPreBarrier(2);
        harness.processElement(record("b", 1, "b"), 0);
        harness.prepareSnapshotPreBarrier(3);

        assertThat(store.rows.values()).containsExactly(record("a", 5, "new"), record("b", 1, "b"));
        assertThat(counter("staleRecordsSkipped")).isEqualTo(2);
    }

    @Test
    void writesWhenTheBufferIsFullInBatchesOfTheMaximumSize(TestInfo test) throws Exception {
        open(test, settings(policy()).maxBatchSize(100).maxBufferedRecords(250));
        for (int i = 0; i < 250; i++) {
            harness.processElement(record("k" + i, 1, "v"), 0);
        }
        assertThat(store.writeSizes).containsExactly(100, 100, 50);
        assertThat(store.rows).hasSize(250);
    }

    @Test
    void writesWhenARecordHasWaitedTheMaximumBufferTime(TestInfo test) throws Exception {
        open(test, settings(policy()).maxBufferTime(Duration.ofSeconds(5)));
        harness.setProcessingTime(1_000);
        harness.processElement(record("a", 1, "v"), 0);
        harness.setProcessingTime(5_999);
        assertThat(store.rows).isEmpty();
        harness.setProcessingTime(6_000);
        assertThat(store.rows).containsKey("a");
    }

    @Test
    void retriesTransientFailuresWithBackoff(TestInfo test) throws Exception {
        open(test, settings(policy()));
        store.transientFailuresLeft.set(3);
        harness.processElement(record("a", 1, "v"), 0);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(store.rows).containsKey("a");
        assertThat(counter("retries")).isEqualTo(3);
    }

    @Test
    void failsWithTheReasonWhenRetriesAreExhausted(TestInfo test) throws Exception {
        open(test, settings(policy()));
        store.transientFailuresLeft.set(10);
        harness.processElement(record("a", 1, "v"), 0);
        assertThatThrownBy(() -> harness.prepareSnapshotPreBarrier(1))
                .hasStackTraceContaining("gave up writing a batch of 1 records after 4 attempts")
                .hasStackTraceContaining("connection reset")
                .hasStackTraceContaining("nothing is lost");
    }

    @Test
    void isolatesPoisonRecordsIntoTheDeadLetterQueueAndWritesTheRest(TestInfo test)
            throws Exception {
        open(test, settings(policy()).maxBatchSize(1000).maxBufferedRecords(1000));
        store.poisonValues = Set.of("poison");
        for (int i = 0; i < 1000; i++) {
            harness.processElement(record("k" + i, 1, i == 617 ? "poison" : "ok"), 0);
        }
        harness.prepareSnapshotPreBarrier(1);

        assertThat(store.rows).hasSize(999).doesNotContainKey("k617");
        List<DeadLetter> letters = deadLetters.flushed();
        assertThat(letters).hasSize(1);
        DeadLetter letter = letters.get(0);
        assertThat(letter.getStage()).isEqualTo(FailureStage.SINK);
        assertThat(letter.getReason()).isEqualTo("IllegalArgumentException");
        assertThat(letter.getErrorMessage()).contains("value rejected: k617:1:poison");
        assertThat(StandardCharsets.UTF_8.decode(letter.getValue()).toString())
                .isEqualTo(record("k617", 1, "poison"));
        assertThat(counter("numRecordsSendErrors")).isEqualTo(1);
        // Binary splitting: about 2 log2(1000) writes, not one per record.
        assertThat(store.writeSizes.size()).isLessThan(25);
    }

    @Test
    void failsAtOnceOnFatalErrorsInsteadOfDeadLetteringEverything(TestInfo test) throws Exception {
        ErrorClassifier fatalForIllegalState =
                error ->
                        error instanceof IllegalStateException
                                ? ErrorClassifier.Kind.FATAL
                                : ErrorClassifier.DEFAULT.classify(error);
        deadLetters = new CollectingDeadLetterOutput("dlq-fatal");
        String name = "fatal" + System.nanoTime();
        store = InMemoryVersionedStore.create(name);
        store.misconfigured = true;
        IdempotentSinkSettings built =
                IdempotentSinkSettings.builder(policy()).deadLetterOutput(deadLetters).build();
        IdempotentSink<String> sink =
                new InMemoryVersionedStore.Sink(name, built) {
                    @Override
                    public ErrorClassifier errorClassifier() {
                        return fatalForIllegalState;
                    }
                };
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new SinkWriterOperatorFactory<>(sink), StringSerializer.INSTANCE);
        harness.open();
        harness.processElement(record("a", 1, "v"), 0);
        harness.processElement(record("b", 1, "v"), 0);

        assertThatThrownBy(() -> harness.prepareSnapshotPreBarrier(1))
                .hasStackTraceContaining("cannot write to its target: table does not exist")
                .hasStackTraceContaining("fails instead of dead-lettering every record");
        assertThat(store.writeSizes).containsExactly(2);
        assertThat(deadLetters.flushed()).isEmpty();
    }

    @Test
    void failsTheJobWhenRejectedRecordsExceedTheTolerance(TestInfo test) throws Exception {
        open(
                test,
                settings(
                        DeadLetterPolicy.builder("sink-test")
                                .tolerance(3, Duration.ofMinutes(1))
                                .build()));
        store.poisonValues = Set.of("poison");
        for (int i = 0; i < 10; i++) {
            harness.processElement(record("k" + i, 1, "poison"), 0);
        }
        assertThatThrownBy(() -> harness.prepareSnapshotPreBarrier(1))
                .isInstanceOf(DeadLetterToleranceExceededException.class)
                .hasMessageContaining("More than 3 records failed")
                .hasMessageContaining("SINK/IllegalArgumentException");
    }

    @Test
    void recordsWithoutAKeyAreDeadLettered(TestInfo test) throws Exception {
        open(test, settings(policy()));
        harness.processElement(record("", 1, "no key"), 0);
        harness.processElement(record("a", 1, "ok"), 0);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(store.rows).containsOnlyKeys("a");
        assertThat(deadLetters.flushed())
                .extracting(DeadLetter::getReason)
                .containsExactly("INVALID_KEY");
    }

    @Test
    void skipAndCountDropsRejectedRecordsWithoutAnOutput(TestInfo test) throws Exception {
        DeadLetterPolicy skip =
                DeadLetterPolicy.builder("sink-test")
                        .onFailure(FailureStage.SINK, FailureAction.SKIP_AND_COUNT)
                        .build();
        String name = "skip" + System.nanoTime();
        store = InMemoryVersionedStore.create(name);
        store.poisonValues = Set.of("poison");
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new SinkWriterOperatorFactory<>(
                                new InMemoryVersionedStore.Sink(
                                        name, IdempotentSinkSettings.builder(skip).build())),
                        StringSerializer.INSTANCE);
        harness.open();
        List<String> records =
                IntStream.range(0, 10)
                        .mapToObj(i -> record("k" + i, 1, i % 5 == 0 ? "poison" : "ok"))
                        .collect(Collectors.toList());
        for (String r : records) {
            harness.processElement(r, 0);
        }
        harness.prepareSnapshotPreBarrier(1);
        assertThat(store.rows).hasSize(8).doesNotContainKeys("k0", "k5");
    }

    @Test
    void settingsExplainWhatIsMissing() {
        assertThatThrownBy(() -> IdempotentSinkSettings.builder(policy()).build())
                .hasMessageContaining("no deadLetterOutput is set")
                .hasMessageContaining("SKIP_AND_COUNT or FAIL for stage SINK");
        assertThatThrownBy(
                        () ->
                                IdempotentSinkSettings.builder(policy())
                                        .deadLetterOutput(new CollectingDeadLetterOutput("x"))
                                        .maxBatchSize(500)
                                        .maxBufferedRecords(100)
                                        .build())
                .hasMessageContaining("maxBufferedRecords (100) must be >= maxBatchSize (500)");
    }
}
