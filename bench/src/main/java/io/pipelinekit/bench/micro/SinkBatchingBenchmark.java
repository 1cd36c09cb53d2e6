package io.pipelinekit.bench.micro;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.core.sink.BatchWriter;
import io.pipelinekit.core.sink.IdempotentSink;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobInfo;
import org.apache.flink.api.common.JobInfoImpl;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.TaskInfoImpl;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledFuture;

/**
 * The idempotent sink's per-record path: buffering by key (newest version wins), batching and the
 * hand-off to the {@link BatchWriter}, here one that only counts, so the sink's own cost shows.
 */
@State(Scope.Thread)
public class SinkBatchingBenchmark {

    private static final int KEYS = 50_000;

    private SinkWriter<StockLevel> writer;
    private StockLevel[] levels;
    private int next;
    private long version;
    private long written;

    @Setup
    public void setUp() throws Exception {
        IdempotentSinkSettings settings =
                IdempotentSinkSettings.builder(
                                // Rejected rows would need a DLQ output; none are rejected here.
                                DeadLetterPolicy.builder("bench")
                                        .onFailure(FailureStage.SINK, FailureAction.FAIL)
                                        .build())
                        .maxBatchSize(1000)
                        .maxBufferedRecords(1000)
                        .build();
        CountingSink sink = new CountingSink(settings, this);
        writer = sink.createWriter(new BenchmarkContext());
        levels = new StockLevel[KEYS];
        for (int i = 0; i < KEYS; i++) {
            levels[i] =
                    StockLevel.newBuilder()
                            .setProductId("P" + (i / 5))
                            .setWarehouseId("W" + (i % 5))
                            .setQuantity(i)
                            .setProductTotal(i * 5L)
                            .setVersion(0)
                            .setDeleted(false)
                            .setUpdatedAt(Instant.EPOCH)
                            .build();
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        writer.close();
    }

    @Benchmark
    public void write() throws Exception {
        next = (next + 1) % KEYS;
        StockLevel level = levels[next];
        level.setVersion(++version);
        writer.write(level, null);
    }

    /** Counts the records of each batch instead of writing them. */
    private static final class CountingSink extends IdempotentSink<StockLevel> {
        private final transient SinkBatchingBenchmark state;

        CountingSink(IdempotentSinkSettings settings, SinkBatchingBenchmark state) {
            super(settings);
            this.state = state;
        }

        @Override
        public Object keyOf(StockLevel level) {
            return level.getProductId() + "/" + level.getWarehouseId();
        }

        @Override
        public long versionOf(StockLevel level) {
            return level.getVersion();
        }

        @Override
        protected BatchWriter<StockLevel> createBatchWriter(WriterInitContext context) {
            return (List<StockLevel> batch) -> {
                state.written += batch.size();
                return 0;
            };
        }
    }

    /** The writer's context outside a Flink task: timers never fire, so size drives batches. */
    private static final class BenchmarkContext implements WriterInitContext {
        private final SinkWriterMetricGroup metrics =
                UnregisteredMetricsGroup.createSinkWriterMetricGroup();

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
        }

        @Override
        public MailboxExecutor getMailboxExecutor() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ProcessingTimeService getProcessingTimeService() {
            return new ProcessingTimeService() {
                @Override
                public long getCurrentProcessingTime() {
                    return System.currentTimeMillis();
                }

                @Override
                public ScheduledFuture<?> registerTimer(long time, ProcessingTimeCallback target) {
                    return null;
                }
            };
        }

        @Override
        public SinkWriterMetricGroup metricGroup() {
            return metrics;
        }

        @Override
        public SerializationSchema.InitializationContext
                asSerializationSchemaInitializationContext() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isObjectReuseEnabled() {
            return false;
        }

        @Override
        public <IN> TypeSerializer<IN> createInputSerializer() {
            throw new UnsupportedOperationException();
        }

        @Override
        public OptionalLong getRestoredCheckpointId() {
            return OptionalLong.empty();
        }

        @Override
        public JobInfo getJobInfo() {
            return new JobInfoImpl(new JobID(), "bench");
        }

        @Override
        public TaskInfo getTaskInfo() {
            return new TaskInfoImpl("sink", 128, 0, 1, 0);
        }
    }
}
