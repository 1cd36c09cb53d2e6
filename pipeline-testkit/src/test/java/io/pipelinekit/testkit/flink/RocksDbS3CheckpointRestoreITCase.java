package io.pipelinekit.testkit.flink;

import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.s3.S3Service;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the Flink environment is real end to end: a keyed job on RocksDB with incremental
 * checkpoints to {@code s3://} on the embedded S3 store, restored from its retained checkpoint and
 * from a savepoint with its keyed state intact.
 */
class RocksDbS3CheckpointRestoreITCase {

    private static final int KEYS = 10;
    private static final long FIRST_RUN = 1_000;
    private static final long SECOND_RUN = 2_000;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(
                    FlinkTestCluster.builder()
                            .slotsPerTaskManager(4)
                            .s3Checkpoints(TestServices::s3)
                            // Write every RocksDB file to S3 instead of inlining small state
                            // into _metadata, so the test sees real incremental uploads.
                            .configuration(
                                    configuration(
                                            c ->
                                                    c.set(
                                                            CheckpointingOptions
                                                                    .FS_SMALL_FILE_THRESHOLD,
                                                            MemorySize.ZERO))));

    @Test
    void restoresKeyedRocksDbStateFromRetainedIncrementalCheckpointOnS3() throws Exception {
        FlinkTestCluster flink = FLINK.cluster();
        S3Service s3 = TestServices.s3();

        CollectingSink<KeyCount> firstOutput = CollectingSink.create();
        JobID first = flink.submit(job(flink, 2, FIRST_RUN, firstOutput), "counts").getJobID();
        firstOutput.awaitCount((int) FIRST_RUN, TIMEOUT);
        assertThat(finalCounts(firstOutput.values())).isEqualTo(expectedCounts(FIRST_RUN));

        String checkpoint = flink.triggerCheckpoint(first, TIMEOUT);
        flink.cancel(first, TIMEOUT);

        String checkpointPrefix = "checkpoints/" + first + "/";
        List<String> files = s3.listKeys(flink.bucket(), checkpointPrefix);
        assertThat(checkpoint).startsWith("s3://" + flink.bucket() + "/" + checkpointPrefix);
        assertThat(files)
                .contains(
                        checkpoint.substring(("s3://" + flink.bucket() + "/").length())
                                + "/_metadata");
        // Incremental RocksDB checkpoints upload SST files to the shared directory.
        assertThat(files)
                .anySatisfy(key -> assertThat(key).startsWith(checkpointPrefix + "shared/"));

        CollectingSink<KeyCount> secondOutput = CollectingSink.create();
        JobID second =
                flink.submitRestoring(
                                job(flink, 2, SECOND_RUN, secondOutput),
                                "counts-restored",
                                checkpoint)
                        .getJobID();
        secondOutput.awaitCount((int) (SECOND_RUN - FIRST_RUN), TIMEOUT);
        // Everything emitted before this checkpoint has reached the sink: no more can come.
        flink.triggerCheckpoint(second, TIMEOUT);

        List<KeyCount> restored = secondOutput.values();
        // The source resumed from its checkpointed positions: only new numbers, each once.
        assertThat(restored.stream().map(r -> r.value).collect(Collectors.toList()))
                .hasSize((int) (SECOND_RUN - FIRST_RUN))
                .doesNotHaveDuplicates()
                .allSatisfy(value -> assertThat(value).isGreaterThanOrEqualTo(FIRST_RUN));
        // The counts continue from the restored state instead of starting again at 1.
        assertThat(finalCounts(restored)).isEqualTo(expectedCounts(SECOND_RUN));
        assertThat(finalSums(restored)).isEqualTo(expectedSums(SECOND_RUN));
    }

    @Test
    void restoresFromSavepointAtLowerParallelism() throws Exception {
        FlinkTestCluster flink = FLINK.cluster();

        CollectingSink<KeyCount> firstOutput = CollectingSink.create();
        JobID first = flink.submit(job(flink, 2, FIRST_RUN, firstOutput), "counts").getJobID();
        firstOutput.awaitCount((int) FIRST_RUN, TIMEOUT);
        flink.awaitRunning(first, TIMEOUT);

        String savepoint = flink.stopWithSavepoint(first, TIMEOUT);
        assertThat(savepoint).startsWith("s3://" + flink.bucket() + "/savepoints/");
        assertThat(TestServices.s3().listKeys(flink.bucket(), "savepoints/"))
                .anySatisfy(key -> assertThat(key).endsWith("/_metadata"));

        CollectingSink<KeyCount> secondOutput = CollectingSink.create();
        JobID second =
                flink.submitRestoring(
                                job(flink, 1, SECOND_RUN, secondOutput), "counts-p1", savepoint)
                        .getJobID();
        secondOutput.awaitCount((int) (SECOND_RUN - FIRST_RUN), TIMEOUT);
        flink.triggerCheckpoint(second, TIMEOUT);

        assertThat(secondOutput.values()).hasSize((int) (SECOND_RUN - FIRST_RUN));
        assertThat(finalCounts(secondOutput.values())).isEqualTo(expectedCounts(SECOND_RUN));
        assertThat(finalSums(secondOutput.values())).isEqualTo(expectedSums(SECOND_RUN));
    }

    private static StreamExecutionEnvironment job(
            FlinkTestCluster flink, int parallelism, long end, CollectingSink<KeyCount> sink) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMinutes(10));
        conf.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        StreamExecutionEnvironment env = flink.environment(parallelism, conf);
        env.setMaxParallelism(128);
        env.fromSource(SequenceSource.upTo(end, 4), WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers")
                .keyBy(value -> value % KEYS, Types.LONG)
                .process(new CountPerKey())
                .uid("count-per-key")
                .name("count-per-key")
                .sinkTo(sink)
                .uid("collect")
                .name("collect");
        return env;
    }

    private static Map<Long, Long> finalCounts(List<KeyCount> outputs) {
        return outputs.stream()
                .collect(Collectors.toMap(r -> r.key, r -> r.count, Math::max, HashMap::new));
    }

    private static Map<Long, Long> finalSums(List<KeyCount> outputs) {
        return outputs.stream()
                .collect(Collectors.toMap(r -> r.key, r -> r.sum, Math::max, HashMap::new));
    }

    private static Map<Long, Long> expectedCounts(long end) {
        return LongStream.range(0, end)
                .boxed()
                .collect(Collectors.groupingBy(v -> v % KEYS, Collectors.counting()));
    }

    private static Map<Long, Long> expectedSums(long end) {
        return LongStream.range(0, end)
                .boxed()
                .collect(Collectors.groupingBy(v -> v % KEYS, Collectors.summingLong(v -> v)));
    }

    private static Configuration configuration(java.util.function.Consumer<Configuration> setter) {
        Configuration conf = new Configuration();
        setter.accept(conf);
        return conf;
    }

    /** Running count and sum per key, in RocksDB. */
    static final class CountPerKey extends KeyedProcessFunction<Long, Long, KeyCount> {
        private transient ValueState<Long> count;
        private transient ValueState<Long> sum;

        @Override
        public void open(OpenContext openContext) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            sum = getRuntimeContext().getState(new ValueStateDescriptor<>("sum", Types.LONG));
        }

        @Override
        public void processElement(Long value, Context ctx, Collector<KeyCount> out)
                throws Exception {
            long newCount = (count.value() == null ? 0 : count.value()) + 1;
            long newSum = (sum.value() == null ? 0 : sum.value()) + value;
            count.update(newCount);
            sum.update(newSum);
            out.collect(new KeyCount(ctx.getCurrentKey(), value, newCount, newSum));
        }
    }

    /** Output of {@link CountPerKey}: a Flink POJO, so no Kryo fallback. */
    public static final class KeyCount {
        public long key;
        public long value;
        public long count;
        public long sum;

        public KeyCount() {}

        KeyCount(long key, long value, long count, long sum) {
            this.key = key;
            this.value = value;
            this.count = count;
            this.sum = sum;
        }
    }
}
