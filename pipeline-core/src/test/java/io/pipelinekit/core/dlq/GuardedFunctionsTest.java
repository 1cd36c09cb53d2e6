package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Operator-harness tests of guarded functions. */
class GuardedFunctionsTest {

    private static final DeadLetterPolicy POLICY = DeadLetterPolicy.builder("test-job").build();

    @Test
    void exceptionBecomesAProcessDeadLetterWithTheInput() throws Exception {
        ProcessFunction<String, Integer> parse =
                GuardedFunctions.map("parse", POLICY, Integer::parseInt);

        try (OneInputStreamOperatorTestHarness<String, Integer> harness = harness(parse)) {
            harness.processElement("12", 1);
            harness.processElement("twelve", 2);
            harness.processElement("13", 3);

            assertThat(harness.extractOutputValues()).containsExactly(12, 13);
            DeadLetter letter = single(deadLetters(harness));
            assertThat(letter.getStage()).isEqualTo(FailureStage.PROCESS);
            assertThat(letter.getReason()).isEqualTo("EXCEPTION_NumberFormatException");
            assertThat(letter.getOperatorUid()).isEqualTo("parse");
            assertThat(letter.getPayloadEncoding()).isEqualTo("UTF8");
            assertThat(new String(letter.getValue().array(), StandardCharsets.UTF_8))
                    .isEqualTo("twelve");
            assertThat(letter.getSource()).isNull();
            assertThat(letter.getErrorMessage()).contains("twelve");
        }
    }

    @Test
    void outputsOfAFailedRecordAreDiscarded() throws Exception {
        ProcessFunction<Integer, Integer> explode =
                GuardedFunctions.flatMap(
                        "explode",
                        POLICY,
                        (Integer n, org.apache.flink.util.Collector<Integer> out) -> {
                            out.collect(n);
                            if (n < 0) {
                                throw new IllegalArgumentException("negative " + n);
                            }
                            out.collect(n * 10);
                        });

        try (OneInputStreamOperatorTestHarness<Integer, Integer> harness = harness(explode)) {
            harness.processElement(1, 1);
            harness.processElement(-2, 2);

            assertThat(harness.extractOutputValues()).containsExactly(1, 10);
            assertThat(single(deadLetters(harness)).getReason())
                    .isEqualTo("EXCEPTION_IllegalArgumentException");
        }
    }

    @Test
    void invalidRecordsBecomeValidateDeadLettersWithTheValidatorsReason() throws Exception {
        ProcessFunction<StockLevel, StockLevel> validate =
                GuardedFunctions.validate(
                        "validate-stock",
                        POLICY,
                        level ->
                                level.getQuantity() >= 0
                                        ? ValidationResult.valid()
                                        : ValidationResult.invalid(
                                                "NEGATIVE_STOCK",
                                                "quantity " + level.getQuantity()));

        try (OneInputStreamOperatorTestHarness<StockLevel, StockLevel> harness =
                harness(validate)) {
            harness.processElement(level(5), 1);
            harness.processElement(level(-3), 2);

            assertThat(harness.extractOutputValues()).containsExactly(level(5));
            DeadLetter letter = single(deadLetters(harness));
            assertThat(letter.getStage()).isEqualTo(FailureStage.VALIDATE);
            assertThat(letter.getReason()).isEqualTo("NEGATIVE_STOCK");
            assertThat(letter.getErrorMessage()).isEqualTo("quantity -3");
            assertThat(letter.getErrorClass()).isNull();
            assertThat(letter.getPayloadEncoding())
                    .isEqualTo("avro:io.pipelinekit.schemas.inventory.StockLevel");
        }
    }

    @Test
    void redactedFieldsNeverReachTheDeadLetter() throws Exception {
        DeadLetterPolicy redacting =
                DeadLetterPolicy.builder("test-job").redactFields("warehouseId").build();
        ProcessFunction<StockLevel, StockLevel> failing =
                GuardedFunctions.map(
                        "fail",
                        redacting,
                        level -> {
                            throw new IllegalStateException("boom");
                        });

        try (OneInputStreamOperatorTestHarness<StockLevel, StockLevel> harness = harness(failing)) {
            harness.processElement(level(6), 1);

            DeadLetter letter = single(deadLetters(harness));
            String json = new String(letter.getValue().array(), StandardCharsets.UTF_8);
            assertThat(json)
                    .contains("\"productId\":\"p1\"")
                    .contains("\"warehouseId\":\"******\"")
                    .doesNotContain("w-secret");
            assertThat(letter.getPayloadEncoding())
                    .isEqualTo("json:io.pipelinekit.schemas.inventory.StockLevel");
            assertThat(letter.getRedactedFields()).containsExactly("warehouseId");
        }
    }

    @Test
    void richFunctionsAreOpened() throws Exception {
        ProcessFunction<String, String> greet =
                GuardedFunctions.map(
                        "greet",
                        POLICY,
                        new RichMapFunction<String, String>() {
                            private transient String prefix;

                            @Override
                            public void open(OpenContext openContext) {
                                prefix =
                                        "subtask-"
                                                + getRuntimeContext()
                                                        .getTaskInfo()
                                                        .getIndexOfThisSubtask()
                                                + ":";
                            }

                            @Override
                            public String map(String value) {
                                return prefix + value;
                            }
                        });

        try (OneInputStreamOperatorTestHarness<String, String> harness = harness(greet)) {
            harness.processElement("a", 1);
            assertThat(harness.extractOutputValues()).containsExactly("subtask-0:a");
        }
    }

    @Test
    void failAndSkipActionsAndTheTolerance() throws Exception {
        DeadLetterPolicy fail =
                DeadLetterPolicy.builder("j")
                        .onFailure(FailureStage.PROCESS, FailureAction.FAIL)
                        .build();
        try (OneInputStreamOperatorTestHarness<String, Integer> harness =
                harness(GuardedFunctions.<String, Integer>map("p", fail, Integer::parseInt))) {
            assertThatThrownBy(() -> harness.processElement("x", 1))
                    .isInstanceOf(NumberFormatException.class);
        }

        DeadLetterPolicy skip =
                DeadLetterPolicy.builder("j")
                        .onFailure(FailureStage.PROCESS, FailureAction.SKIP_AND_COUNT)
                        .build();
        try (OneInputStreamOperatorTestHarness<String, Integer> harness =
                harness(GuardedFunctions.<String, Integer>map("p", skip, Integer::parseInt))) {
            harness.processElement("x", 1);
            harness.processElement("7", 2);
            assertThat(harness.extractOutputValues()).containsExactly(7);
            assertThat(deadLetters(harness)).isEmpty();
        }

        DeadLetterPolicy strict =
                DeadLetterPolicy.builder("j").tolerance(2, Duration.ofMinutes(5)).build();
        try (OneInputStreamOperatorTestHarness<String, Integer> harness =
                harness(GuardedFunctions.<String, Integer>map("p", strict, Integer::parseInt))) {
            harness.processElement("x", 1);
            harness.processElement("y", 2);
            assertThatThrownBy(() -> harness.processElement("z", 3))
                    .isInstanceOf(DeadLetterToleranceExceededException.class)
                    .hasMessageContaining("PROCESS/EXCEPTION_NumberFormatException (3 times)");
        }
    }

    @Test
    void guardedFunctionsNeedTheirOperatorUid() {
        assertThatThrownBy(
                        () -> GuardedFunctions.<String, Integer>map(" ", POLICY, Integer::parseInt))
                .hasMessageContaining("uid");
    }

    private static <I, O> OneInputStreamOperatorTestHarness<I, O> harness(
            ProcessFunction<I, O> function) throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(function);
    }

    private static List<DeadLetter> deadLetters(OneInputStreamOperatorTestHarness<?, ?> harness) {
        return harness.getSideOutput(DeadLetters.TAG) == null
                ? List.of()
                : harness.getSideOutput(DeadLetters.TAG).stream()
                        .map(StreamRecord::getValue)
                        .collect(Collectors.toList());
    }

    private static DeadLetter single(List<DeadLetter> letters) {
        assertThat(letters).hasSize(1);
        return letters.get(0);
    }

    private static StockLevel level(long quantity) {
        return StockLevel.newBuilder()
                .setProductId("p1")
                .setWarehouseId(quantity == 5 ? "w1" : "w-secret")
                .setQuantity(quantity)
                .setProductTotal(quantity)
                .setVersion(1)
                .setUpdatedAt(Instant.ofEpochMilli(1000))
                .build();
    }
}
