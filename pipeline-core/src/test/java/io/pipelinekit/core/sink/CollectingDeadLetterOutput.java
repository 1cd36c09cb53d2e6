package io.pipelinekit.core.sink;

import io.pipelinekit.core.dlq.DeadLetterOutput;
import io.pipelinekit.schemas.dlq.DeadLetter;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps dead letters in memory, under a name, once flushed (like a durable output would). */
final class CollectingDeadLetterOutput implements DeadLetterOutput {

    private static final long serialVersionUID = 1L;
    private static final Map<String, List<DeadLetter>> FLUSHED = new ConcurrentHashMap<>();

    private final String name;

    CollectingDeadLetterOutput(String name) {
        this.name = name;
        FLUSHED.put(name, new CopyOnWriteArrayList<>());
    }

    List<DeadLetter> flushed() {
        return FLUSHED.get(name);
    }

    @Override
    public Writer open() {
        List<DeadLetter> pending = new CopyOnWriteArrayList<>();
        return new Writer() {
            @Override
            public void write(DeadLetter letter) {
                pending.add(letter);
            }

            @Override
            public void flush() {
                FLUSHED.get(name).addAll(pending);
                pending.clear();
            }

            @Override
            public void close() {}
        };
    }
}
