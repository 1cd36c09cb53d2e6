package io.pipelinekit.core.checkpoint;

import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.flink.CollectingSink;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.flink.SequenceSource;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The LARGE_STATE preset on a real cluster: incremental RocksDB checkpoints land on S3. */
class CheckpointPresetITCase {

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(
                    FlinkTestCluster.builder()
                            .slotsPerTaskManager(2)
                            .s3Checkpoints(TestServices::s3)
                            .configuration(zeroInlineThreshold()));

    @Test
    void largeStatePresetWritesIncrementalRocksDbCheckpoints() throws Exception {
        FlinkTestCluster flink = FLINK.cluster();
        CheckpointSettings settings =
                CheckpointSettings.builder(CheckpointPreset.LARGE_STATE)
                        .storage(flink.checkpointDirectory())
                        .build();
        StreamExecutionEnvironment env = flink.environment(2);
        settings.applyTo(env);
        CollectingSink<Long> out = CollectingSink.create();
        env.fromSource(SequenceSource.upTo(2_000, 4), WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers")
                .keyBy(v -> v % 50, Types.LONG)
                .process(new Count())
                .uid("count")
                .name("count")
                .sinkTo(out)
                .uid("collect")
                .name("collect");
        PipelineValidator.validate(env, settings);

        JobID job = flink.submit(env, "large-state").getJobID();
        out.awaitCount(2_000, Duration.ofMinutes(2));
        String first = flink.triggerCheckpoint(job, Duration.ofMinutes(2));
        String second = flink.triggerCheckpoint(job, Duration.ofMinutes(2));

        String prefix = "checkpoints/" + job + "/";
        assertThat(first).isNotEqualTo(second);
        assertThat(TestServices.s3().listKeys(flink.bucket(), prefix + "shared/"))
                .as("RocksDB SST files uploaded once and shared by the incremental checkpoints")
                .isNotEmpty();
    }

    private static Configuration zeroInlineThreshold() {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.FS_SMALL_FILE_THRESHOLD, MemorySize.ZERO);
        return conf;
    }

    private static final class Count extends KeyedProcessFunction<Long, Long, Long> {
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext context) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Long value, Context ctx, Collector<Long> out) throws Exception {
            long next = (count.value() == null ? 0 : count.value()) + 1;
            count.update(next);
            out.collect(next);
        }
    }
}
