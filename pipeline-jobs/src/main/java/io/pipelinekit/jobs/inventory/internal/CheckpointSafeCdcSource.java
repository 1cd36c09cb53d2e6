package io.pipelinekit.jobs.inventory.internal;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.cdc.connectors.base.source.IncrementalSource;
import org.apache.flink.cdc.connectors.base.source.assigner.HybridSplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.SnapshotSplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.StreamSplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.enumerator.IncrementalSourceEnumerator;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import javax.annotation.Nullable;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.List;

/**
 * A Flink CDC incremental source whose enumerator checkpoints are taken and serialized under the
 * chunk splitting lock: Flink CDC 3.5.0 divides a table into chunks on its own thread while the
 * checkpoint holds live references to the split lists, so a checkpoint serialized in between can
 * have the table's last chunk in neither list and lose it on restore.
 */
@Internal
public final class CheckpointSafeCdcSource<T>
        implements Source<T, SourceSplitBase, PendingSplitsState>, ResultTypeQueryable<T> {

    private static final long serialVersionUID = 1L;

    private static final String REVISIT =
            "the workaround for the Flink CDC 3.5.0 checkpoint race (last snapshot chunk lost on"
                    + " restore) must be revisited for this Flink CDC version";

    private final IncrementalSource<T, ?> delegate;

    private CheckpointSafeCdcSource(IncrementalSource<T, ?> delegate) {
        this.delegate = delegate;
    }

    /**
     * Wraps a built CDC source, e.g. a {@code PostgresIncrementalSource}; everything else is
     * delegated, with the same serializers, so savepoints of the unwrapped source restore.
     */
    public static <T> CheckpointSafeCdcSource<T> wrap(IncrementalSource<T, ?> source) {
        if (source == null) {
            throw new IllegalArgumentException("source must not be null");
        }
        return new CheckpointSafeCdcSource<>(source);
    }

    @Override
    public Boundedness getBoundedness() {
        return delegate.getBoundedness();
    }

    @Override
    public SourceReader<T, SourceSplitBase> createReader(SourceReaderContext readerContext)
            throws Exception {
        return delegate.createReader(readerContext);
    }

    @Override
    public SplitEnumerator<SourceSplitBase, PendingSplitsState> createEnumerator(
            SplitEnumeratorContext<SourceSplitBase> enumContext) {
        return new LockingEnumerator(
                delegate.createEnumerator(enumContext),
                delegate.getEnumeratorCheckpointSerializer());
    }

    @Override
    public SplitEnumerator<SourceSplitBase, PendingSplitsState> restoreEnumerator(
            SplitEnumeratorContext<SourceSplitBase> enumContext, PendingSplitsState checkpoint) {
        return new LockingEnumerator(
                delegate.restoreEnumerator(enumContext, checkpoint),
                delegate.getEnumeratorCheckpointSerializer());
    }

    @Override
    public SimpleVersionedSerializer<SourceSplitBase> getSplitSerializer() {
        return delegate.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<PendingSplitsState> getEnumeratorCheckpointSerializer() {
        return delegate.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return delegate.getProducedType();
    }

    /**
     * The lock that Flink CDC's snapshot split assigner holds while it adds a table's chunks and
     * removes the table from the remaining ones, or null if the enumerator only streams (nothing is
     * split asynchronously then).
     *
     * @throws IllegalStateException if Flink CDC's internals changed so that the lock cannot be
     *     found: checkpoints would silently be unsafe again, so the job must not start
     */
    @Nullable
    static Object splittingLock(SplitEnumerator<?, ?> enumerator) {
        Object assigner =
                read(
                        enumerator,
                        IncrementalSourceEnumerator.class.getSimpleName(),
                        "splitAssigner");
        if (assigner instanceof StreamSplitAssigner) {
            return null;
        }
        if (assigner instanceof HybridSplitAssigner) {
            assigner =
                    read(
                            assigner,
                            HybridSplitAssigner.class.getSimpleName(),
                            "snapshotSplitAssigner");
        }
        if (assigner instanceof SnapshotSplitAssigner) {
            return read(assigner, SnapshotSplitAssigner.class.getSimpleName(), "lock");
        }
        // An assigner this workaround does not know may split on its own thread too.
        throw new IllegalStateException(
                "Flink CDC enumerator "
                        + enumerator.getClass().getName()
                        + " uses split assigner "
                        + assigner.getClass().getName()
                        + ", which CheckpointSafeCdcSource does not know; "
                        + REVISIT);
    }

    /** Reads field {@code name} (declared by {@code owner}) from {@code target} or its supers. */
    private static Object read(Object target, String owner, String name) {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
            Field field;
            try {
                field = type.getDeclaredField(name);
            } catch (NoSuchFieldException e) {
                continue;
            }
            try {
                field.setAccessible(true);
                Object value = field.get(target);
                if (value == null) {
                    break;
                }
                return value;
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException(
                        "Cannot read Flink CDC field " + owner + "." + name + ": " + REVISIT, e);
            }
        }
        throw new IllegalStateException(
                "Flink CDC field "
                        + owner
                        + "."
                        + name
                        + " not found (or null) in "
                        + target.getClass().getName()
                        + ": "
                        + REVISIT);
    }

    /** Takes the delegate's checkpoint and its bytes under the chunk splitting lock. */
    static final class LockingEnumerator
            implements SplitEnumerator<SourceSplitBase, PendingSplitsState> {

        private final SplitEnumerator<SourceSplitBase, PendingSplitsState> delegate;
        private final SimpleVersionedSerializer<PendingSplitsState> serializer;
        @Nullable private final Object lock;

        LockingEnumerator(
                SplitEnumerator<SourceSplitBase, PendingSplitsState> delegate,
                SimpleVersionedSerializer<PendingSplitsState> serializer) {
            this(delegate, serializer, splittingLock(delegate));
        }

        LockingEnumerator(
                SplitEnumerator<SourceSplitBase, PendingSplitsState> delegate,
                SimpleVersionedSerializer<PendingSplitsState> serializer,
                @Nullable Object lock) {
            this.delegate = delegate;
            this.serializer = serializer;
            this.lock = lock;
        }

        @Override
        public PendingSplitsState snapshotState(long checkpointId) throws Exception {
            if (lock == null) {
                return delegate.snapshotState(checkpointId);
            }
            // The state refers to the assigner's live lists, which the splitting thread changes
            // under this lock: serializing here fixes the bytes before the lock is released.
            // This delays the checkpoint by at most one step (one generateSplits call) of the
            // splitting thread; the coordinator thread already waits for it when assigning splits.
            synchronized (lock) {
                PendingSplitsState state = delegate.snapshotState(checkpointId);
                byte[] bytes = serializer.serialize(state);
                // Flink CDC's serializer caches the bytes in the state, so Flink's own serialize
                // call after this returns them; should a version stop caching, Flink gets a copy
                // that no longer refers to the live lists.
                if (serializer.serialize(state) == bytes) {
                    return state;
                }
                return serializer.deserialize(serializer.getVersion(), bytes);
            }
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {
            delegate.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<SourceSplitBase> splits, int subtaskId) {
            delegate.addSplitsBack(splits, subtaskId);
        }

        @Override
        public void addReader(int subtaskId) {
            delegate.addReader(subtaskId);
        }

        @Override
        public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
            delegate.handleSourceEvent(subtaskId, sourceEvent);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            delegate.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            delegate.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }

        SplitEnumerator<SourceSplitBase, PendingSplitsState> delegate() {
            return delegate;
        }
    }
}
