package io.pipelinekit.testkit.flink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * A test double sink that collects every record it receives, from all subtasks, for assertions in
 * the same JVM (MiniCluster). At-least-once: after a restore it sees replayed records again, which
 * is what tests of restore behaviour want to observe.
 *
 * <pre>{@code
 * CollectingSink<Long> sink = CollectingSink.create();
 * stream.sinkTo(sink).name("collect").uid("collect");
 * List<Long> values = sink.awaitCount(100, Duration.ofSeconds(30));
 * }</pre>
 */
@PublicEvolving
public final class CollectingSink<T> implements Sink<T> {

    private static final long serialVersionUID = 1L;
    private static final Map<String, Buffer> BUFFERS = new ConcurrentHashMap<>();

    private final String id;

    private CollectingSink(String id) {
        this.id = id;
    }

    public static <T> CollectingSink<T> create() {
        String id = UUID.randomUUID().toString();
        BUFFERS.put(id, new Buffer());
        return new CollectingSink<>(id);
    }

    /** Everything received so far, in arrival order. */
    @SuppressWarnings("unchecked")
    public List<T> values() {
        return (List<T>) buffer().snapshot();
    }

    public int count() {
        return buffer().size();
    }

    /** Waits until at least {@code count} records arrived and returns all received. */
    @SuppressWarnings("unchecked")
    public List<T> awaitCount(int count, Duration timeout)
            throws InterruptedException, TimeoutException {
        return (List<T>) buffer().await(count, timeout);
    }

    /** Frees the collected records. */
    public void clear() {
        BUFFERS.remove(id);
    }

    @Override
    @Deprecated
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(buffer());
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(buffer());
    }

    private Buffer buffer() {
        Buffer buffer = BUFFERS.get(id);
        if (buffer == null) {
            throw new IllegalStateException(
                    "CollectingSink "
                            + id
                            + " was cleared or created in another JVM: it works only on a"
                            + " MiniCluster in the test's own JVM");
        }
        return buffer;
    }

    private static final class Buffer {
        private final List<Object> values = new ArrayList<>();

        synchronized void add(Object value) {
            values.add(value);
            notifyAll();
        }

        synchronized List<Object> snapshot() {
            return new ArrayList<>(values);
        }

        synchronized int size() {
            return values.size();
        }

        synchronized List<Object> await(int count, Duration timeout)
                throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (values.size() < count) {
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMillis <= 0) {
                    throw new TimeoutException(
                            "Expected "
                                    + count
                                    + " records within "
                                    + timeout
                                    + " but received "
                                    + values.size());
                }
                wait(remainingMillis);
            }
            return new ArrayList<>(values);
        }
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private final Buffer buffer;

        Writer(Buffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public void write(T element, Context context) {
            buffer.add(element);
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
    }
}
