package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;

import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.cdc.connectors.base.options.StartupOptions;
import org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.HybridPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.SnapshotPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.StreamPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.postgres.source.PostgresSourceBuilder;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;
import org.apache.flink.types.Either;

import io.debezium.relational.TableId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The wrapped CDC enumerator takes and serializes its checkpoint under Flink CDC's chunk splitting
 * lock, on the real Flink CDC 3.5.0 Postgres source (no database needed to restore an enumerator).
 */
class CheckpointSafeCdcSourceTest {

    private static final TableId STOCK = new TableId(null, "public", "stock");

    private final ExecutorService checkpointThread = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        checkpointThread.shutdownNow();
    }

    @Test
    void aCheckpointWaitsWhileTheSplittingThreadHoldsTheLock() throws Exception {
        CheckpointSafeCdcSource<?> source = CheckpointSafeCdcSource.wrap(postgresSource());
        SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                source.restoreEnumerator(new FakeContext(), splittingStock());
        Object lock = splittingLockOf(enumerator);

        Future<PendingSplitsState> checkpoint;
        AtomicReference<Thread> checkpointer = new AtomicReference<>();
        // This thread plays the splitting thread in the middle of splitTable.
        synchronized (lock) {
            checkpoint =
                    checkpointThread.submit(
                            () -> {
                                checkpointer.set(Thread.currentThread());
                                return enumerator.snapshotState(7);
                            });
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!checkpoint.isDone()
                    && !isBlocked(checkpointer.get())
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(checkpoint).as("checkpoint while the table is being split").isNotDone();
            assertThat(isBlocked(checkpointer.get())).as("checkpoint waits for the lock").isTrue();
            // The splitter finishes the table: its last chunk would be added here, too.
            remainingTablesOf(enumerator).remove(STOCK);
        }

        PendingSplitsState state = checkpoint.get(1, TimeUnit.MINUTES);
        assertThat(snapshotPart(roundTrip(source, state)).getRemainingTables()).isEmpty();
    }

    @Test
    void theCheckpointBytesAreFixedBeforeTheSplittingThreadGoesOn() throws Exception {
        CheckpointSafeCdcSource<?> source = CheckpointSafeCdcSource.wrap(postgresSource());
        SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                source.restoreEnumerator(new FakeContext(), splittingStock());

        PendingSplitsState state = enumerator.snapshotState(7);
        // The splitter finishes the table after the checkpoint was taken, before Flink
        // serializes it (on the same thread, right after snapshotState).
        synchronized (splittingLockOf(enumerator)) {
            remainingTablesOf(enumerator).remove(STOCK);
        }

        assertThat(snapshotPart(roundTrip(source, state)).getRemainingTables())
                .as("remaining tables in the checkpoint")
                .containsExactly(STOCK);
    }

    @Test
    void withoutTheWrapperTheCheckpointBytesFollowTheSplittingThread() throws Exception {
        // The upstream defect this wrapper exists for: if this fails, Flink CDC fixed it.
        PostgresSourceBuilder.PostgresIncrementalSource<?> source = postgresSource();
        SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                source.restoreEnumerator(new FakeContext(), splittingStock());

        PendingSplitsState state = enumerator.snapshotState(7);
        remainingTablesOf(enumerator).remove(STOCK);

        SimpleVersionedSerializer<PendingSplitsState> serializer =
                source.getEnumeratorCheckpointSerializer();
        PendingSplitsState restored =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(state));
        assertThat(snapshotPart(restored).getRemainingTables()).isEmpty();
    }

    @Test
    void serializesWhileHoldingTheLock() throws Exception {
        Object lock = new Object();
        RecordingSerializer serializer = new RecordingSerializer(lock, true);
        CheckpointSafeCdcSource.LockingEnumerator enumerator =
                new CheckpointSafeCdcSource.LockingEnumerator(
                        new FakeEnumerator(lock), serializer, lock);

        PendingSplitsState state = enumerator.snapshotState(1);

        assertThat(serializer.lockHeld).containsOnly(true).isNotEmpty();
        assertThat(((FakeState) state).snapshotTakenUnderLock).isTrue();
    }

    @Test
    void handsFlinkACopyIfTheSerializerDoesNotCache() throws Exception {
        Object lock = new Object();
        FakeEnumerator delegate = new FakeEnumerator(lock);
        CheckpointSafeCdcSource.LockingEnumerator enumerator =
                new CheckpointSafeCdcSource.LockingEnumerator(
                        delegate, new RecordingSerializer(lock, false), lock);

        FakeState state = (FakeState) enumerator.snapshotState(1);
        delegate.live.add("later");

        assertThat(state.values).containsExactly("first");
    }

    @Test
    void streamOnlyEnumeratorsNeedNoLock() throws Exception {
        CheckpointSafeCdcSource<?> source =
                CheckpointSafeCdcSource.wrap(postgresSource(StartupOptions.latest()));
        SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                source.createEnumerator(new FakeContext());

        assertThat(
                        CheckpointSafeCdcSource.splittingLock(
                                ((CheckpointSafeCdcSource.LockingEnumerator) enumerator)
                                        .delegate()))
                .isNull();
        assertThat(enumerator.snapshotState(1)).isInstanceOf(StreamPendingSplitsState.class);
    }

    @Test
    void anUnknownEnumeratorFailsNamingTheField() {
        assertThatThrownBy(
                        () ->
                                new CheckpointSafeCdcSource.LockingEnumerator(
                                        new FakeEnumerator(new Object()),
                                        new RecordingSerializer(new Object(), true)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("IncrementalSourceEnumerator.splitAssigner")
                .hasMessageContaining("FakeEnumerator")
                .hasMessageContaining("must be revisited for this Flink CDC version");
    }

    @Test
    void anUnknownSplitAssignerFails() {
        assertThatThrownBy(
                        () ->
                                CheckpointSafeCdcSource.splittingLock(
                                        new UnknownAssignerEnumerator()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("java.lang.String")
                .hasMessageContaining("must be revisited for this Flink CDC version");
    }

    @Test
    void delegatesTypeBoundednessAndSerializers() {
        PostgresSourceBuilder.PostgresIncrementalSource<Either<DeadLetter, InventoryChangeEvent>>
                delegate = postgresSource();
        CheckpointSafeCdcSource<Either<DeadLetter, InventoryChangeEvent>> source =
                CheckpointSafeCdcSource.wrap(delegate);

        assertThat(source.getProducedType()).isEqualTo(delegate.getProducedType());
        assertThat(source.getBoundedness()).isEqualTo(delegate.getBoundedness());
        assertThat(source.getSplitSerializer()).isSameAs(delegate.getSplitSerializer());
        assertThat(source.getEnumeratorCheckpointSerializer().getClass())
                .isEqualTo(delegate.getEnumeratorCheckpointSerializer().getClass());
    }

    private static boolean isBlocked(Thread thread) {
        return thread != null && thread.getState() == Thread.State.BLOCKED;
    }

    private static PostgresSourceBuilder.PostgresIncrementalSource<
                    Either<DeadLetter, InventoryChangeEvent>>
            postgresSource() {
        return postgresSource(StartupOptions.initial());
    }

    /** The job's source against a port nothing listens on: restoring must not connect. */
    private static PostgresSourceBuilder.PostgresIncrementalSource<
                    Either<DeadLetter, InventoryChangeEvent>>
            postgresSource(StartupOptions startup) {
        return PostgresSourceBuilder.PostgresIncrementalSource
                .<Either<DeadLetter, InventoryChangeEvent>>builder()
                .hostname("localhost")
                .port(1)
                .database("inventory")
                .schemaList("public")
                .tableList("public.stock")
                .username("nobody")
                .password("none")
                .slotName("checkpoint_safe_test")
                .decodingPluginName("pgoutput")
                .splitSize(100)
                .startupOptions(startup)
                .deserializer(
                        new ChangeEventDeserializer(DeadLetterPolicy.builder("test").build(), 0))
                .build();
    }

    /** Checkpoint of an enumerator that has started, but not finished, splitting the table. */
    private static PendingSplitsState splittingStock() {
        return new HybridPendingSplitsState(
                new SnapshotPendingSplitsState(
                        new ArrayList<>(List.of(STOCK)),
                        new ArrayList<>(),
                        new HashMap<>(),
                        new HashMap<>(),
                        new HashMap<>(),
                        AssignerStatus.INITIAL_ASSIGNING,
                        new ArrayList<>(List.of(STOCK)),
                        true,
                        true,
                        new HashMap<>(),
                        ChunkSplitterState.NO_SPLITTING_TABLE_STATE),
                false);
    }

    private static PendingSplitsState roundTrip(
            CheckpointSafeCdcSource<?> source, PendingSplitsState state) throws IOException {
        // What Flink does with the checkpoint: serialize it, and deserialize it on restore.
        SimpleVersionedSerializer<PendingSplitsState> serializer =
                source.getEnumeratorCheckpointSerializer();
        return serializer.deserialize(serializer.getVersion(), serializer.serialize(state));
    }

    private static SnapshotPendingSplitsState snapshotPart(PendingSplitsState state) {
        return ((HybridPendingSplitsState) state).getSnapshotPendingSplits();
    }

    // Found independently of the code under test, by Flink CDC 3.5.0's field names.

    private static Object snapshotAssignerOf(SplitEnumerator<?, ?> enumerator) throws Exception {
        Object real =
                enumerator instanceof CheckpointSafeCdcSource.LockingEnumerator
                        ? ((CheckpointSafeCdcSource.LockingEnumerator) enumerator).delegate()
                        : enumerator;
        return field(field(real, "splitAssigner"), "snapshotSplitAssigner");
    }

    private static Object splittingLockOf(SplitEnumerator<?, ?> enumerator) throws Exception {
        return field(snapshotAssignerOf(enumerator), "lock");
    }

    @SuppressWarnings("unchecked")
    private static List<TableId> remainingTablesOf(SplitEnumerator<?, ?> enumerator)
            throws Exception {
        return (List<TableId>) field(snapshotAssignerOf(enumerator), "remainingTables");
    }

    private static Object field(Object target, String name) throws Exception {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField(name);
                field.setAccessible(true);
                return field.get(target);
            } catch (NoSuchFieldException e) {
                // declared by a superclass
            }
        }
        throw new NoSuchFieldException(name);
    }

    /** State of {@link FakeEnumerator}: a copy of its values, unless the serializer caches. */
    private static final class FakeState extends PendingSplitsState {
        final List<String> values;
        final boolean snapshotTakenUnderLock;

        FakeState(List<String> values, boolean snapshotTakenUnderLock) {
            this.values = values;
            this.snapshotTakenUnderLock = snapshotTakenUnderLock;
        }
    }

    /** Like Flink CDC's enumerator, its state refers to a live list. */
    private static final class FakeEnumerator
            implements SplitEnumerator<SourceSplitBase, PendingSplitsState> {
        final List<String> live = new ArrayList<>(List.of("first"));
        private final Object lock;

        FakeEnumerator(Object lock) {
            this.lock = lock;
        }

        @Override
        public PendingSplitsState snapshotState(long checkpointId) {
            return new FakeState(live, Thread.holdsLock(lock));
        }

        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {}

        @Override
        public void addSplitsBack(List<SourceSplitBase> splits, int subtaskId) {}

        @Override
        public void addReader(int subtaskId) {}

        @Override
        public void close() {}
    }

    /** Has the field, but not an assigner this workaround knows. */
    private static final class UnknownAssignerEnumerator
            implements SplitEnumerator<SourceSplitBase, PendingSplitsState> {
        @SuppressWarnings("unused")
        private final Object splitAssigner = "an assigner";

        @Override
        public PendingSplitsState snapshotState(long checkpointId) {
            return null;
        }

        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {}

        @Override
        public void addSplitsBack(List<SourceSplitBase> splits, int subtaskId) {}

        @Override
        public void addReader(int subtaskId) {}

        @Override
        public void close() {}
    }

    /** Records whether each serialize call held the lock; caches its bytes only if asked to. */
    private static final class RecordingSerializer
            implements SimpleVersionedSerializer<PendingSplitsState> {
        final List<Boolean> lockHeld = new ArrayList<>();
        private final Object lock;
        private final boolean caches;
        private final Map<PendingSplitsState, byte[]> cache = new HashMap<>();

        RecordingSerializer(Object lock, boolean caches) {
            this.lock = lock;
            this.caches = caches;
        }

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(PendingSplitsState state) {
            lockHeld.add(Thread.holdsLock(lock));
            if (caches && cache.containsKey(state)) {
                return cache.get(state);
            }
            byte[] bytes =
                    String.join(",", ((FakeState) state).values).getBytes(StandardCharsets.UTF_8);
            if (caches) {
                cache.put(state, bytes);
            }
            return bytes;
        }

        @Override
        public PendingSplitsState deserialize(int version, byte[] serialized) {
            return new FakeState(
                    List.of(new String(serialized, StandardCharsets.UTF_8).split(",")), false);
        }
    }

    /** Enough of a coordinator context to restore an enumerator without starting it. */
    private static final class FakeContext implements SplitEnumeratorContext<SourceSplitBase> {
        @Override
        public SplitEnumeratorMetricGroup metricGroup() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, SourceEvent event) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int currentParallelism() {
            return 1;
        }

        @Override
        public Map<Integer, ReaderInfo> registeredReaders() {
            return Map.of();
        }

        @Override
        public void assignSplits(SplitsAssignment<SourceSplitBase> newSplitAssignments) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> void callAsync(Callable<T> callable, BiConsumer<T, Throwable> handler) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> void callAsync(
                Callable<T> callable,
                BiConsumer<T, Throwable> handler,
                long initialDelay,
                long period) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void runInCoordinatorThread(Runnable runnable) {
            throw new UnsupportedOperationException();
        }
    }
}
