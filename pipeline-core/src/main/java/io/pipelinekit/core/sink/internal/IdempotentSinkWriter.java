package io.pipelinekit.core.sink.internal;

import io.pipelinekit.core.dlq.DeadLetterOutput;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.core.dlq.internal.DeadLetterFactory;
import io.pipelinekit.core.dlq.internal.FailureTracker;
import io.pipelinekit.core.sink.BatchWriter;
import io.pipelinekit.core.sink.ErrorClassifier;
import io.pipelinekit.core.sink.IdempotentSink;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The writer of an {@link IdempotentSink}: buffers the newest version per key, writes batches with
 * retries, and isolates rejected records by splitting the batch.
 */
@Internal
public final class IdempotentSinkWriter<T> implements SinkWriter<T> {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentSinkWriter.class);

    private final IdempotentSink<T> sink;
    private final BatchWriter<T> writer;
    private final IdempotentSinkSettings settings;
    private final ErrorClassifier classifier;
    private final ProcessingTimeService timers;
    private final Map<Object, T> buffer = new LinkedHashMap<>();
    private final DeadLetterFactory deadLetters;
    private final FailureTracker failures;
    private final DeadLetterOutput.Writer deadLetterWriter;
    private final String operatorName;

    private final Counter recordsSent;
    private final Counter sendErrors;
    private final Counter batches;
    private final Counter retries;
    private final Counter staleSkipped;
    private volatile long lastBatchWriteMillis;

    private boolean timerPending;

    public IdempotentSinkWriter(
            IdempotentSink<T> sink, BatchWriter<T> writer, WriterInitContext context)
            throws IOException {
        this.sink = sink;
        this.writer = writer;
        this.settings = sink.settings();
        this.classifier = sink.errorClassifier();
        this.timers = context.getProcessingTimeService();
        this.operatorName = sink.name() + "[" + context.getTaskInfo().getIndexOfThisSubtask() + "]";
        DeadLetterPolicy policy = settings.deadLetterPolicy();
        SinkWriterMetricGroup metrics = context.metricGroup();
        this.deadLetters = new DeadLetterFactory(policy, operatorName);
        this.failures = new FailureTracker(policy, operatorName, metrics);
        this.recordsSent = metrics.getNumRecordsSendCounter();
        this.sendErrors = metrics.getNumRecordsSendErrorsCounter();
        this.batches = metrics.counter("batches");
        this.retries = metrics.counter("retries");
        this.staleSkipped = metrics.counter("staleRecordsSkipped");
        metrics.gauge("bufferedRecords", buffer::size);
        metrics.gauge("lastBatchWriteMillis", () -> lastBatchWriteMillis);
        this.deadLetterWriter =
                settings.deadLetterOutput() == null ? null : settings.deadLetterOutput().open();
    }

    @Override
    public void write(T record, Context context) throws IOException, InterruptedException {
        Object key;
        long version;
        try {
            key = sink.keyOf(record);
            if (key == null) {
                throw new IllegalArgumentException("keyOf returned null");
            }
            version = sink.versionOf(record);
        } catch (RuntimeException e) {
            reject(record, "INVALID_KEY", "Cannot compute the key or version: " + e, e);
            return;
        }
        T buffered = buffer.get(key);
        if (buffered != null && sink.versionOf(buffered) > version) {
            staleSkipped.inc();
            return;
        }
        if (buffered != null) {
            staleSkipped.inc();
        }
        buffer.put(key, record);
        if (buffer.size() >= settings.maxBufferedRecords()) {
            drain();
        } else if (!timerPending) {
            timerPending = true;
            long due = timers.getCurrentProcessingTime() + settings.maxBufferTime().toMillis();
            // Timers run in the task's mailbox thread, like write(): no locking needed, and a
            // failure of the write fails the task.
            timers.registerTimer(
                    due,
                    time -> {
                        timerPending = false;
                        drain();
                    });
        }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        drain();
        if (deadLetterWriter != null) {
            deadLetterWriter.flush();
        }
    }

    private void drain() throws IOException, InterruptedException {
        if (buffer.isEmpty()) {
            return;
        }
        List<T> records = new ArrayList<>(buffer.values());
        buffer.clear();
        for (int from = 0; from < records.size(); from += settings.maxBatchSize()) {
            int to = Math.min(records.size(), from + settings.maxBatchSize());
            writeIsolating(records.subList(from, to));
        }
    }

    /** Writes the batch; when the target rejects it, writes halves until the culprits are alone. */
    private void writeIsolating(List<T> batch) throws IOException, InterruptedException {
        try {
            writeWithRetries(batch);
        } catch (RejectedBatchException rejected) {
            if (batch.size() == 1) {
                sendErrors.inc();
                reject(
                        batch.get(0),
                        rejected.reason,
                        "The sink's target rejected the record: " + rejected.getCause(),
                        rejected.getCause());
                return;
            }
            int middle = batch.size() / 2;
            writeIsolating(batch.subList(0, middle));
            writeIsolating(batch.subList(middle, batch.size()));
        }
    }

    private void writeWithRetries(List<T> batch)
            throws IOException, InterruptedException, RejectedBatchException {
        long backoff = settings.initialBackoff().toMillis();
        long started = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                long start = System.nanoTime();
                int stale = writer.write(batch);
                lastBatchWriteMillis = (System.nanoTime() - start) / 1_000_000;
                batches.inc();
                recordsSent.inc(batch.size() - stale);
                staleSkipped.inc(stale);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                ErrorClassifier.Kind kind = classifier.classify(e);
                if (kind == ErrorClassifier.Kind.PERMANENT) {
                    throw new RejectedBatchException(classifier.reason(e), e);
                }
                if (kind == ErrorClassifier.Kind.FATAL) {
                    throw new IOException(
                            operatorName
                                    + " cannot write to its target: "
                                    + e.getMessage()
                                    + ". No record can be written until the sink's configuration"
                                    + " or the target is fixed; the job fails instead of"
                                    + " dead-lettering every record.",
                            e);
                }
                if (attempt >= settings.maxAttempts()) {
                    throw new IOException(
                            operatorName
                                    + " gave up writing a batch of "
                                    + batch.size()
                                    + " records after "
                                    + attempt
                                    + " attempts over "
                                    + (System.nanoTime() - started) / 1_000_000
                                    + " ms; last error: "
                                    + e.getMessage()
                                    + ". The job fails and restarts from the last checkpoint"
                                    + " (nothing is lost); if the target stays unavailable, check"
                                    + " it or raise sink.retry.max-attempts.",
                            e);
                }
                retries.inc();
                LOG.warn(
                        "{}: transient failure writing {} records (attempt {} of {}), retrying in"
                                + " {} ms: {}",
                        operatorName,
                        batch.size(),
                        attempt,
                        settings.maxAttempts(),
                        backoff,
                        e.toString());
                resetQuietly();
                Thread.sleep(backoff);
                backoff = Math.min(settings.maxBackoff().toMillis(), Math.max(1, backoff * 2));
            }
        }
    }

    private void resetQuietly() {
        try {
            writer.reset();
        } catch (RuntimeException e) {
            LOG.debug("{}: reset after a failure failed", operatorName, e);
        }
    }

    private void reject(T record, String reason, String message, Throwable error)
            throws IOException {
        FailureAction action = settings.deadLetterPolicy().actionFor(FailureStage.SINK);
        switch (action) {
            case FAIL:
                throw new IOException(
                        operatorName
                                + " could not write a record ("
                                + reason
                                + "): "
                                + message
                                + ". The dead-letter policy fails the job on sink failures;"
                                + " choose DEAD_LETTER to isolate such records instead.",
                        error);
            case SKIP_AND_COUNT:
                failures.skipped(FailureStage.SINK, reason, error);
                return;
            case DEAD_LETTER:
            default:
                deadLetterWriter.write(
                        deadLetters.fromInput(record, FailureStage.SINK, reason, message, error));
                failures.deadLettered(FailureStage.SINK, reason, error);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            writer.close();
        } finally {
            if (deadLetterWriter != null) {
                deadLetterWriter.close();
            }
        }
    }

    /** The target rejected something in a batch (a permanent failure). */
    private static final class RejectedBatchException extends Exception {
        private static final long serialVersionUID = 1L;
        final String reason;

        RejectedBatchException(String reason, Throwable cause) {
            super(cause);
            this.reason = reason;
        }
    }
}
