package io.pipelinekit.testkit.chaos;

import io.pipelinekit.testkit.kafka.KafkaService;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Follows a topic with a {@code read_committed} consumer in the background, from the beginning,
 * through broker restarts: what it collected is what a downstream consumer saw, during faults and
 * after them, and {@link #count()} is an output probe for {@link FaultInjector}.
 *
 * <pre>{@code
 * try (ReadCommittedTail output = ReadCommittedTail.start(kafka, topic)) {
 *     // ... run the job under a FaultInjector with .outputProgress(output::count)
 *     output.awaitCount(expected, Duration.ofMinutes(1));
 *     List<ConsumerRecord<byte[], byte[]>> seen = output.records();
 * }
 * }</pre>
 */
@PublicEvolving
public final class ReadCommittedTail implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReadCommittedTail.class);

    private final String bootstrapServers;
    private final String topic;
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private final AtomicLong count = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private volatile RuntimeException failure;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    private ReadCommittedTail(KafkaService kafka, String topic) {
        this.bootstrapServers = kafka.bootstrapServers();
        this.topic = topic;
        this.thread = new Thread(this::run, "read-committed-tail-" + topic);
        thread.setDaemon(true);
    }

    /** Starts following {@code topic} (which must exist) from its beginning. */
    public static ReadCommittedTail start(KafkaService kafka, String topic) {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(topic, "topic");
        ReadCommittedTail tail = new ReadCommittedTail(kafka, topic);
        tail.thread.start();
        return tail;
    }

    /**
     * Committed records read so far (a monotonic output probe); throws if following the topic
     * failed, so a dead tail never looks like a stalled pipeline.
     */
    public long count() {
        checkFailure();
        return count.get();
    }

    /** A copy of the records read so far, in the order they were read. */
    public synchronized List<ConsumerRecord<byte[], byte[]>> records() {
        checkFailure();
        return new ArrayList<>(records);
    }

    /** The records read so far, mapped. */
    public <T> List<T> values(Function<ConsumerRecord<byte[], byte[]>, T> mapper) {
        return records().stream().map(mapper).collect(Collectors.toList());
    }

    /** Waits until at least {@code expected} records were read. */
    public void awaitCount(long expected, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count.get() < expected) {
            checkFailure();
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(
                        "Read "
                                + count.get()
                                + " committed records of "
                                + topic
                                + " within "
                                + Reports.seconds(timeout)
                                + ", expected at least "
                                + expected);
            }
            Thread.sleep(50);
        }
    }

    /** Stops following: wakes the consumer up and waits until it is closed. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        thread.join(30_000);
        if (thread.isAlive()) {
            throw new IllegalStateException(
                    "The read_committed tail of " + topic + " did not stop within 30 s");
        }
    }

    private void checkFailure() {
        RuntimeException failed = failure;
        if (failed != null) {
            throw failed;
        }
        if (!closed && !thread.isAlive() && thread.getState() == Thread.State.TERMINATED) {
            throw new IllegalStateException(
                    "The read_committed tail of " + topic + " stopped without an error");
        }
    }

    private void run() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Positions are set explicitly (seekToBeginning): an out-of-range position (e.g. a log
        // truncated by a broker restart) must fail, not silently jump and re-read or skip.
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        config.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            this.consumer = consumer;
            if (closed) {
                return; // close() came before the consumer existed and could not wake it
            }
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(60));
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("Topic " + topic + " does not exist");
            }
            List<TopicPartition> assigned =
                    partitions.stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .collect(Collectors.toList());
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            while (!closed) {
                try {
                    List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
                    consumer.poll(Duration.ofMillis(100)).forEach(batch::add);
                    if (!batch.isEmpty()) {
                        synchronized (this) {
                            records.addAll(batch);
                        }
                        count.addAndGet(batch.size());
                    }
                } catch (org.apache.kafka.common.errors.RetriableException e) {
                    // The broker is down or restarting: keep following.
                    LOG.debug("read_committed tail of {}: {}", topic, e.toString());
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                fail(e);
            }
        } catch (RuntimeException | Error e) {
            fail(e);
        }
    }

    private void fail(Throwable e) {
        LOG.error("read_committed tail of {} failed", topic, e);
        failure =
                new IllegalStateException(
                        "Following " + topic + " failed after " + count.get() + " records: " + e,
                        e);
    }
}
