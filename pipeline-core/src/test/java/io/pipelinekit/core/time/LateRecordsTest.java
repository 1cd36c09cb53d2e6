package io.pipelinekit.core.time;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import org.junit.jupiter.api.Test;

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
}
