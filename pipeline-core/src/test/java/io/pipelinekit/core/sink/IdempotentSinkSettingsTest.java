package io.pipelinekit.core.sink;

import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings read from a job's configuration. */
class IdempotentSinkSettingsTest {

    private static final DeadLetterPolicy POLICY = DeadLetterPolicy.builder("test").build();
    private static final DeadLetterPolicy SKIP =
            DeadLetterPolicy.builder("test")
                    .onFailure(FailureStage.SINK, FailureAction.SKIP_AND_COUNT)
                    .build();

    @Test
    void readsTheSinkOptions() {
        Configuration config = new Configuration();
        config.set(IdempotentSinkOptions.BATCH_MAX_RECORDS, 50);
        config.set(IdempotentSinkOptions.BUFFER_MAX_TIME, Duration.ofMillis(200));
        IdempotentSinkSettings settings = IdempotentSinkSettings.fromConfig(config, SKIP).build();
        assertThat(settings.maxBatchSize()).isEqualTo(50);
        assertThat(settings.maxBufferTime()).isEqualTo(Duration.ofMillis(200));
        assertThat(settings.deadLetterOutput()).as("no dlq.topic, no output").isNull();
        assertThatThrownBy(() -> IdempotentSinkSettings.fromConfig(config, POLICY).build())
                .as("dead-lettering without a topic")
                .hasMessageContaining("set dlq.topic");
    }

    @Test
    void rejectedRecordsGoToTheConfiguredDeadLetterTopic() {
        Configuration config = new Configuration();
        config.set(DeadLetterOptions.TOPIC, "job.dlq");
        assertThatThrownBy(() -> IdempotentSinkSettings.fromConfig(config, POLICY))
                .as("a topic without brokers")
                .hasMessageContaining(KafkaOptions.BOOTSTRAP_SERVERS.key());
        config.set(KafkaOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        IdempotentSinkSettings settings = IdempotentSinkSettings.fromConfig(config, POLICY).build();
        assertThat(settings.deadLetterOutput()).isNotNull();
        assertThat(settings.deadLetterOutput().toString()).contains("job.dlq");
        assertThat(IdempotentSinkSettings.fromConfig(config, SKIP).build().deadLetterOutput())
                .as("a policy that never dead-letters sink failures opens no producer")
                .isNull();
    }
}
