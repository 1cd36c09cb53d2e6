package io.pipelinekit.core.time;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class LateRecordsTest {

    @Test
    void recordsBehindTheWatermarkGoToTheLateOutputNothingIsDropped() throws Exception {
        try (OneInputStreamOperatorTestHarness<String, String> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(LateRecords.router(Types.STRING))) {
            harness.processElement("early", 50);
            harness.processWatermark(100);
            harness.processElement("on-time", 150);
            harness.processElement("late", 60);
            harness.processElement("at-watermark", 100);

            assertThat(harness.extractOutputValues()).containsExactly("early", "on-time");
            assertThat(
                            harness.getSideOutput(LateRecords.tag(Types.STRING)).stream()
                                    .map(StreamRecord::getValue)
                                    .collect(Collectors.toList()))
                    .containsExactly("late", "at-watermark");
        }
    }

    @Test
    void lateRecordsBecomeDeadLettersWithTheirPayload() throws Exception {
        try (OneInputStreamOperatorTestHarness<String, DeadLetter> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        LateRecords.<String>lateLetters(
                                DeadLetterPolicy.builder("job").build(), "late-minutes"))) {
            harness.processWatermark(100);
            harness.processElement("m-a", 60);

            DeadLetter letter = harness.extractOutputValues().get(0);
            assertThat(harness.extractOutputValues()).hasSize(1);
            assertThat(letter.getStage()).isEqualTo(FailureStage.PROCESS);
            assertThat(letter.getReason()).isEqualTo(LateRecords.LATE_REASON);
            assertThat(letter.getOperatorUid()).isEqualTo("late-minutes");
            assertThat(letter.getErrorMessage()).contains("event time 60", "watermark 100");
            assertThat(StandardCharsets.UTF_8.decode(letter.getValue()).toString()).contains("m-a");
        }
    }
}
