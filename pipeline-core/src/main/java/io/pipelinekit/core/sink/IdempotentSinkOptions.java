package io.pipelinekit.core.sink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;

/** Options of the batching and retries of {@link IdempotentSink}s. */
@PublicEvolving
public final class IdempotentSinkOptions {

    public static final ConfigOption<Integer> BATCH_MAX_RECORDS =
            ConfigOptions.key("sink.batch.max-records")
                    .intType()
                    .defaultValue(500)
                    .withDescription(
                            "Most records one write to the target store carries (one statement or"
                                    + " request).");

    public static final ConfigOption<Integer> BUFFER_MAX_RECORDS =
            ConfigOptions.key("sink.buffer.max-records")
                    .intType()
                    .defaultValue(5000)
                    .withDescription(
                            "Most distinct keys buffered per subtask before the buffer is written"
                                    + " (in batches of sink.batch.max-records). Updates of a key"
                                    + " already buffered replace it, so a larger buffer absorbs"
                                    + " more updates of hot keys.");

    public static final ConfigOption<Duration> BUFFER_MAX_TIME =
            ConfigOptions.key("sink.buffer.max-time")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(1))
                    .withDescription(
                            "Longest a record waits in the buffer before it is written. Checkpoints"
                                    + " write the buffer too: nothing acknowledged by a completed"
                                    + " checkpoint is still buffered.");

    public static final ConfigOption<Integer> RETRY_MAX_ATTEMPTS =
            ConfigOptions.key("sink.retry.max-attempts")
                    .intType()
                    .defaultValue(8)
                    .withDescription(
                            "Attempts of a batch that fails transiently (connection lost, timeout,"
                                    + " deadlock) before the job fails and its restart strategy"
                                    + " takes over.");

    public static final ConfigOption<Duration> RETRY_INITIAL_BACKOFF =
            ConfigOptions.key("sink.retry.initial-backoff")
                    .durationType()
                    .defaultValue(Duration.ofMillis(100))
                    .withDescription("Wait before the first retry; doubled for each next one.");

    public static final ConfigOption<Duration> RETRY_MAX_BACKOFF =
            ConfigOptions.key("sink.retry.max-backoff")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Longest wait between two retries.");

    private IdempotentSinkOptions() {}
}
