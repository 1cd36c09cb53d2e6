package io.pipelinekit.testkit.flink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import javax.annotation.Nullable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A checkpointed source of the numbers {@code 0 .. end-1} that then stays idle instead of
 * finishing, so that a test can take checkpoints and savepoints after all input was processed.
 *
 * <p>Each number is emitted exactly once across failures and restores: the position of each split
 * is part of the checkpoint. Restoring with a larger {@code end} continues where the checkpoint
 * left off, which lets a test feed a restored job new input.
 *
 * <pre>{@code
 * DataStream<Long> numbers =
 *         env.fromSource(SequenceSource.upTo(10_000, 4), WatermarkStrategy.noWatermarks(), "numbers");
 * }</pre>
 */
@PublicEvolving
public final class SequenceSource
        implements Source<Long, SequenceSource.Split, List<SequenceSource.Split>>,
                ResultTypeQueryable<Long> {

    private static final long serialVersionUID = 1L;

    private final long end;
    private final int splits;

    private SequenceSource(long end, int splits) {
        if (end < 0) {
            throw new IllegalArgumentException("end must be >= 0, was " + end);
        }
        if (splits < 1) {
            throw new IllegalArgumentException("splits must be >= 1, was " + splits);
        }
        this.end = end;
        this.splits = splits;
    }

    /** Emits {@code 0 .. endExclusive-1} from {@code splits} splits, then idles. */
    public static SequenceSource upTo(long endExclusive, int splits) {
        return new SequenceSource(endExclusive, splits);
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<Split, List<Split>> createEnumerator(
            SplitEnumeratorContext<Split> context) {
        List<Split> all = new ArrayList<>();
        for (int i = 0; i < splits; i++) {
            all.add(new Split(i, splits, i));
        }
        return new Enumerator(context, all);
    }

    @Override
    public SplitEnumerator<Split, List<Split>> restoreEnumerator(
            SplitEnumeratorContext<Split> context, List<Split> unassigned) {
        unassigned.forEach(this::checkSameSplits);
        return new Enumerator(context, unassigned);
    }

    @Override
    public SourceReader<Long, Split> createReader(SourceReaderContext context) {
        return new Reader(end, this);
    }

    /**
     * Numbers are split by {@code value % splits}: a restore with another count would mix them up.
     */
    private void checkSameSplits(Split split) {
        if (split.step != splits) {
            throw new IllegalStateException(
                    "SequenceSource restored with "
                            + splits
                            + " splits from a checkpoint taken with "
                            + split.step
                            + ": keep the number of splits (the parallelism may change).");
        }
    }

    @Override
    public SimpleVersionedSerializer<Split> getSplitSerializer() {
        return new SplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<List<Split>> getEnumeratorCheckpointSerializer() {
        return new SplitListSerializer();
    }

    @Override
    public TypeInformation<Long> getProducedType() {
        return Types.LONG;
    }

    /**
     * Split {@code index} emits {@code index, index + splits, ...}; {@code next} is its position.
     */
    public static final class Split implements SourceSplit {
        private final int index;
        private final int step;
        private long next;

        Split(int index, int step, long next) {
            this.index = index;
            this.step = step;
            this.next = next;
        }

        @Override
        public String splitId() {
            return "sequence-" + index;
        }

        Split copy() {
            return new Split(index, step, next);
        }

        @Override
        public String toString() {
            return splitId() + "@" + next;
        }
    }

    private static final class Enumerator implements SplitEnumerator<Split, List<Split>> {
        private final SplitEnumeratorContext<Split> context;
        private final List<Split> unassigned;

        Enumerator(SplitEnumeratorContext<Split> context, Collection<Split> unassigned) {
            this.context = context;
            this.unassigned = new ArrayList<>(unassigned);
        }

        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {}

        @Override
        public void addSplitsBack(List<Split> returned, int subtaskId) {
            unassigned.addAll(returned);
            if (context.registeredReaders().containsKey(subtaskId)) {
                addReader(subtaskId);
            }
        }

        @Override
        public void addReader(int subtaskId) {
            int parallelism = context.currentParallelism();
            List<Split> mine = new ArrayList<>();
            unassigned.removeIf(
                    split -> {
                        if (split.index % parallelism == subtaskId) {
                            mine.add(split);
                            return true;
                        }
                        return false;
                    });
            if (!mine.isEmpty()) {
                context.assignSplits(new SplitsAssignment<>(Map.of(subtaskId, mine)));
            }
        }

        @Override
        public List<Split> snapshotState(long checkpointId) {
            List<Split> copy = new ArrayList<>();
            unassigned.forEach(split -> copy.add(split.copy()));
            return copy;
        }

        @Override
        public void close() {}
    }

    private static final class Reader implements SourceReader<Long, Split> {
        private final long end;
        private final SequenceSource source;
        private final List<Split> assigned = new ArrayList<>();
        private CompletableFuture<Void> available = new CompletableFuture<>();

        Reader(long end, SequenceSource source) {
            this.end = end;
            this.source = source;
        }

        @Override
        public void start() {}

        @Override
        public InputStatus pollNext(ReaderOutput<Long> output) {
            for (Split split : assigned) {
                if (split.next < end) {
                    output.collect(split.next);
                    split.next += split.step;
                    return InputStatus.MORE_AVAILABLE;
                }
            }
            // All input emitted: stay idle (never END_OF_INPUT) so checkpoints keep working.
            if (available.isDone()) {
                available = new CompletableFuture<>();
            }
            return InputStatus.NOTHING_AVAILABLE;
        }

        @Override
        public List<Split> snapshotState(long checkpointId) {
            List<Split> copy = new ArrayList<>();
            assigned.forEach(split -> copy.add(split.copy()));
            return copy;
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return available;
        }

        @Override
        public void addSplits(List<Split> splits) {
            splits.forEach(source::checkSameSplits);
            assigned.addAll(splits);
            available.complete(null);
        }

        @Override
        public void notifyNoMoreSplits() {}

        @Override
        public void close() {}
    }

    private static final class SplitSerializer implements SimpleVersionedSerializer<Split> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Split split) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(split.index);
                out.writeInt(split.step);
                out.writeLong(split.next);
            }
            return bytes.toByteArray();
        }

        @Override
        public Split deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("Unknown SequenceSource split version " + version);
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return new Split(in.readInt(), in.readInt(), in.readLong());
            }
        }
    }

    private static final class SplitListSerializer
            implements SimpleVersionedSerializer<List<Split>> {
        private final SplitSerializer splitSerializer = new SplitSerializer();

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(List<Split> splits) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(splits.size());
                for (Split split : splits) {
                    byte[] one = splitSerializer.serialize(split);
                    out.writeInt(one.length);
                    out.write(one);
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public List<Split> deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("Unknown SequenceSource enumerator version " + version);
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                int size = in.readInt();
                List<Split> splits = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    byte[] one = new byte[in.readInt()];
                    in.readFully(one);
                    splits.add(splitSerializer.deserialize(1, one));
                }
                return splits;
            }
        }
    }
}
