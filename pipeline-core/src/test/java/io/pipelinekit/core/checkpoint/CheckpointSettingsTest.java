package io.pipelinekit.core.checkpoint;

import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointSettingsTest {

    @ParameterizedTest
    @EnumSource(CheckpointPreset.class)
    void everyPresetRetainsCheckpointsAndBoundsRestarts(CheckpointPreset preset) {
        Configuration conf =
                CheckpointSettings.builder(preset)
                        .storage("s3://bucket/cp")
                        .build()
                        .toConfiguration();

        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_INTERVAL))
                .isEqualTo(preset.interval());
        assertThat(conf.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))
                .isEqualTo("s3://bucket/cp");
        assertThat(conf.get(CheckpointingOptions.ENABLE_UNALIGNED)).isTrue();
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY))
                .isEqualTo("exponential-delay");
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS))
                .isEqualTo(preset.restartAttempts());
    }

    @Test
    void lowLatencyAndBalancedFitExactlyOnceSinksOnDefaultBrokersLargeStateDoesNot() {
        for (CheckpointPreset preset : CheckpointPreset.values()) {
            Duration open =
                    CheckpointSettings.builder(preset)
                            .storage("s3://b/cp")
                            .build()
                            .longestOpenTransaction();
            if (preset == CheckpointPreset.LARGE_STATE) {
                assertThat(open).isEqualTo(Duration.ofMinutes(48));
            } else {
                assertThat(open).as("%s", preset).isLessThan(Duration.ofMinutes(14));
            }
        }
    }

    @Test
    void largeStateUsesIncrementalRocksDb() {
        Configuration large =
                CheckpointSettings.builder(CheckpointPreset.LARGE_STATE)
                        .storage("s3://b/cp")
                        .build()
                        .toConfiguration();
        Configuration balanced =
                CheckpointSettings.builder(CheckpointPreset.BALANCED)
                        .storage("s3://b/cp")
                        .build()
                        .toConfiguration();

        assertThat(large.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(large.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(balanced.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("hashmap");
    }

    @Test
    void appliesToAnEnvironment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CheckpointSettings.builder(CheckpointPreset.BALANCED)
                .storage("file:///tmp/cp")
                .interval(Duration.ofSeconds(7))
                .maxParallelism(256)
                .build()
                .applyTo(env);

        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(7_000L);
        // BALANCED pauses 10 s between checkpoints, but at most half the interval asked for.
        assertThat(env.getCheckpointConfig().getMinPauseBetweenCheckpoints()).isEqualTo(3_500L);
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isTrue();
        assertThat(env.getMaxParallelism()).isEqualTo(256);
    }

    @Test
    void thePresetsPauseAppliesWhenTheIntervalLeavesRoomForIt() {
        CheckpointSettings settings =
                CheckpointSettings.builder(CheckpointPreset.BALANCED)
                        .storage("file:///tmp/cp")
                        .interval(Duration.ofMinutes(1))
                        .build();
        assertThat(settings.minPause()).isEqualTo(Duration.ofSeconds(10));
        assertThat(
                        CheckpointSettings.builder(CheckpointPreset.LARGE_STATE)
                                .storage("file:///tmp/cp")
                                .interval(Duration.ofSeconds(2))
                                .build()
                                .minPause())
                .isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void mistakesAreExplained() {
        assertThatThrownBy(() -> CheckpointSettings.builder(CheckpointPreset.BALANCED).build())
                .hasMessageContaining("need storage(...)");
        assertThatThrownBy(
                        () ->
                                CheckpointSettings.builder(CheckpointPreset.BALANCED)
                                        .storage("/tmp/cp")
                                        .build())
                .hasMessageContaining("has no scheme");
        assertThatThrownBy(
                        () ->
                                CheckpointSettings.builder(CheckpointPreset.BALANCED)
                                        .storage("s3://b/c")
                                        .maxParallelism(0)
                                        .build())
                .hasMessageContaining("maxParallelism");
    }

    @Test
    void ttlPresetsCleanUpInRocksDbCompaction() {
        StateTtlConfig write = StateTtlPresets.expireAfterWrite(Duration.ofDays(30));
        StateTtlConfig access = StateTtlPresets.expireAfterAccess(Duration.ofHours(1));

        assertThat(write.getTimeToLive()).isEqualTo(Duration.ofDays(30));
        assertThat(write.getUpdateType()).isEqualTo(StateTtlConfig.UpdateType.OnCreateAndWrite);
        assertThat(access.getUpdateType()).isEqualTo(StateTtlConfig.UpdateType.OnReadAndWrite);
        assertThat(write.getStateVisibility())
                .isEqualTo(StateTtlConfig.StateVisibility.NeverReturnExpired);
        assertThat(write.getCleanupStrategies().getRocksdbCompactFilterCleanupStrategy())
                .isNotNull();
        assertThat(write.getCleanupStrategies().getIncrementalCleanupStrategy()).isNotNull();
        assertThatThrownBy(() -> StateTtlPresets.expireAfterWrite(Duration.ZERO))
                .hasMessageContaining("positive");
    }
}
