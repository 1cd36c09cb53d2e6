package io.pipelinekit.core.sink;

import io.pipelinekit.core.sink.internal.IdempotentSinkWriter;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;

import java.io.IOException;
import java.util.Objects;

/**
 * Base of sinks that are exactly-once in effect through idempotent, version-fenced writes: a
 * subclass supplies each record's key and version and the write of a batch; the base buffers,
 * batches, retries, isolates poison records into the dead-letter queue and reports metrics.
 *
 * <p>Guarantees, given a {@link BatchWriter} that honours its contract:
 *
 * <ul>
 *   <li>Everything buffered is written before a checkpoint completes ({@link SinkWriter#flush} runs
 *       before the barrier is forwarded), so no acknowledged record is lost and the sink keeps no
 *       state of its own.
 *   <li>Records are at-least-once; replays after a restore rewrite the same versions, which the
 *       target ignores, so the target ends as after a single run, whatever the order of versions.
 *   <li>Within a buffer only the newest version of a key is kept (the others count as stale).
 *   <li>Transient failures are retried with bounded exponential backoff; a batch the target rejects
 *       is split until the rejected records are isolated: they go to the dead-letter queue (stage
 *       {@code SINK}) under the {@link IdempotentSinkSettings#deadLetterPolicy()}, whose tolerance
 *       fails the job when too many are rejected.
 * </ul>
 *
 * <p>Metrics per subtask: Flink's {@code numRecordsSend} and {@code numRecordsSendErrors}, and
 * {@code batches}, {@code retries}, {@code staleRecordsSkipped}, {@code bufferedRecords}, {@code
 * lastBatchWriteMillis} and {@code deadLetters} / {@code skippedRecords} by stage and reason.
 *
 * <pre>{@code
 * public final class StockLevelSink extends IdempotentSink<StockLevel> {
 *     public StockLevelSink(IdempotentSinkSettings settings) { super(settings); }
 *     public Object keyOf(StockLevel s) { return s.getProductId() + "/" + s.getWarehouseId(); }
 *     public long versionOf(StockLevel s) { return s.getVersion(); }
 *     protected BatchWriter<StockLevel> createBatchWriter(WriterInitContext context) {
 *         return new MyStoreBatchWriter(...);
 *     }
 * }
 * }</pre>
 *
 * @param <T> the records written
 */
@PublicEvolving
public abstract class IdempotentSink<T> implements Sink<T> {

    private static final long serialVersionUID = 1L;

    private final IdempotentSinkSettings settings;
    private String uid;

    protected IdempotentSink(IdempotentSinkSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * The identity of the entity a record describes (e.g. a primary key); records with equal keys
     * replace each other. Must implement {@code equals} and {@code hashCode} and not be null; a
     * record whose key cannot be computed is dead-lettered with reason {@code INVALID_KEY}.
     */
    public abstract Object keyOf(T record);

    /**
     * The version of the record's entity: higher versions replace lower ones (a CDC log sequence
     * number, an event version, a sequence number); never a wall-clock time of processing.
     */
    public abstract long versionOf(T record);

    /** Creates the writer of one subtask, e.g. with its own connection. */
    protected abstract BatchWriter<T> createBatchWriter(WriterInitContext context)
            throws IOException;

    /** How write failures are handled; {@link ErrorClassifier#DEFAULT} unless overridden. */
    public ErrorClassifier errorClassifier() {
        return ErrorClassifier.DEFAULT;
    }

    /**
     * Attaches this sink to {@code records}, partitioned by the sink's key so that all versions of
     * a key go through one subtask (deletes and upserts of a key cannot then race each other in the
     * target), with {@code uid} as the sink's uid and name.
     */
    public final DataStreamSink<T> addTo(DataStream<T> records, String uid) {
        Objects.requireNonNull(uid, "uid");
        this.uid = uid;
        KeySelector<T, String> byKey = new SinkKeySelector<>(this);
        return records.keyBy(byKey, Types.STRING).sinkTo(this).uid(uid).name(uid);
    }

    /** The uid given to {@link #addTo}, else the class name: names the sink in dead letters. */
    public final String name() {
        return uid != null ? uid : getClass().getSimpleName();
    }

    public final IdempotentSinkSettings settings() {
        return settings;
    }

    /** Routes by key; a record without a computable key is dead-lettered by the writer. */
    private static final class SinkKeySelector<T> implements KeySelector<T, String> {
        private static final long serialVersionUID = 1L;
        private final IdempotentSink<T> sink;

        SinkKeySelector(IdempotentSink<T> sink) {
            this.sink = sink;
        }

        @Override
        public String getKey(T record) {
            try {
                return String.valueOf(sink.keyOf(record));
            } catch (RuntimeException e) {
                return "";
            }
        }
    }

    @Override
    public final SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
        BatchWriter<T> writer = createBatchWriter(context);
        try {
            return new IdempotentSinkWriter<>(this, writer, context);
        } catch (IOException | RuntimeException e) {
            try {
                writer.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * @deprecated Flink 1.20 creates writers with {@link #createWriter(WriterInitContext)}.
     */
    @Deprecated
    @Override
    public final SinkWriter<T> createWriter(InitContext context) {
        throw new UnsupportedOperationException(
                getClass().getName()
                        + " needs Flink 1.20 or newer, which creates writers with a"
                        + " WriterInitContext.");
    }
}
