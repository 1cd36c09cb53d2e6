package io.pipelinekit.core.sink;

import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A version-fenced key-value store for sink tests, with injectable failures: records are {@code
 * key:version:value} strings, and a sink over it is an {@link IdempotentSink} of such strings.
 */
final class InMemoryVersionedStore {

    private static final Map<String, InMemoryVersionedStore> STORES = new ConcurrentHashMap<>();

    final String name;
    final TreeMap<String, String> rows = new TreeMap<>();
    final List<Integer> writeSizes = new ArrayList<>();
    final AtomicInteger transientFailuresLeft = new AtomicInteger();
    volatile Set<String> poisonValues = Set.of();
    volatile boolean misconfigured;

    private InMemoryVersionedStore(String name) {
        this.name = name;
    }

    static InMemoryVersionedStore create(String name) {
        InMemoryVersionedStore store = new InMemoryVersionedStore(name);
        STORES.put(name, store);
        return store;
    }

    static String record(String key, long version, String value) {
        return key + ":" + version + ":" + value;
    }

    /** Applies a batch all or nothing, like a database transaction. */
    synchronized int write(List<String> batch) throws Exception {
        writeSizes.add(batch.size());
        if (misconfigured) {
            throw new IllegalStateException("table does not exist");
        }
        if (transientFailuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new SocketException("connection reset");
        }
        for (String record : batch) {
            if (poisonValues.contains(record.split(":")[2])) {
                throw new IllegalArgumentException("value rejected: " + record);
            }
        }
        int stale = 0;
        for (String record : batch) {
            String[] parts = record.split(":");
            String current = rows.get(parts[0]);
            if (current != null
                    && Long.parseLong(current.split(":")[1]) >= Long.parseLong(parts[1])) {
                stale++;
            } else {
                rows.put(parts[0], record);
            }
        }
        return stale;
    }

    /** An idempotent sink of {@code key:version:value} strings into a store. */
    static class Sink extends IdempotentSink<String> {
        private static final long serialVersionUID = 1L;
        private final String store;

        Sink(String store, IdempotentSinkSettings settings) {
            super(settings);
            this.store = store;
        }

        @Override
        public Object keyOf(String record) {
            String key = record.split(":")[0];
            if (key.isEmpty()) {
                throw new IllegalArgumentException("empty key");
            }
            return key;
        }

        @Override
        public long versionOf(String record) {
            return Long.parseLong(record.split(":")[1]);
        }

        @Override
        protected BatchWriter<String> createBatchWriter(WriterInitContext context)
                throws IOException {
            InMemoryVersionedStore target = STORES.get(store);
            return target::write;
        }
    }
}
