package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

/** The kinds of faults a {@link FaultInjector} can inject while a pipeline runs. */
@PublicEvolving
public enum FaultKind {
    /**
     * A Flink task manager is terminated (its tasks fail) and a new one starts after the downtime.
     */
    TASK_MANAGER_KILL(true, "task manager terminated, replaced after the downtime"),
    /**
     * An operator ({@link FailAfterCheckpoint}) throws on its first record after a checkpoint
     * completed: output after that checkpoint was written but not committed, and is replayed.
     */
    OPERATOR_FAILURE_AFTER_CHECKPOINT(false, "operator throws after a completed checkpoint"),
    /** The Kafka broker is killed ({@code SIGKILL}) and restarted after the downtime. */
    KAFKA_BROKER_RESTART(true, "Kafka broker killed (SIGKILL), restarted after the downtime"),
    /** PostgreSQL is stopped in immediate mode (a crash) and restarted after the downtime. */
    POSTGRES_RESTART(true, "PostgreSQL crashed (immediate stop), restarted after the downtime"),
    /** The S3 endpoint refuses connections for the downtime (checkpoints in between fail). */
    S3_OUTAGE(true, "S3 endpoint down for the downtime"),
    /** A sink's PostgreSQL connections are terminated ({@code pg_terminate_backend}). */
    SINK_CONNECTIONS_KILLED(false, "sink's PostgreSQL connections terminated");

    private final boolean hasDowntime;
    private final String description;

    FaultKind(boolean hasDowntime, String description) {
        this.hasDowntime = hasDowntime;
        this.description = description;
    }

    /** Whether the fault lasts a while before it is healed (else it is instantaneous). */
    public boolean hasDowntime() {
        return hasDowntime;
    }

    /** What the fault does, for reports. */
    public String description() {
        return description;
    }
}
