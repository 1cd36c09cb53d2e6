package io.pipelinekit.testkit.chaos;

import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.postgres.PostgresService;
import io.pipelinekit.testkit.s3.EmbeddedS3;

import org.apache.flink.runtime.minicluster.MiniCluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The built-in {@link FaultAction}s behind {@link FaultInjector.Builder}. */
final class FaultActions {

    private FaultActions() {}

    /**
     * Terminates one of the MiniCluster's live task managers and starts a new one when healed. A
     * MiniCluster never reuses a task manager's index, so the live ones are tracked here.
     */
    static FaultAction taskManagers(FlinkTestCluster cluster) {
        return new FaultAction() {
            private final List<Integer> live = new ArrayList<>();
            private int next = -1;

            /** Being terminated or terminated, still in {@code live} until it is replaced. */
            private Integer victim;

            @Override
            public String inject(Fault fault) throws Exception {
                if (next < 0) {
                    for (int i = 0; i < cluster.taskManagers(); i++) {
                        live.add(i);
                    }
                    next = cluster.taskManagers();
                }
                if (victim != null) {
                    throw new IllegalStateException(
                            "Task manager " + victim + " of an earlier fault was not replaced");
                }
                if (live.isEmpty()) {
                    throw new IllegalStateException("No live task manager left to terminate");
                }
                int index = live.get(fault.target() % live.size());
                // From here on heal() finishes the termination and replaces the victim, also when
                // this is interrupted or times out before the task manager was gone.
                victim = index;
                terminate(index);
                return "task manager " + index + " terminated";
            }

            @Override
            public void heal(Fault fault) throws Exception {
                Integer index = victim;
                if (index == null) {
                    return;
                }
                terminate(index); // idempotent: completes a termination that was cut short
                live.remove(index);
                victim = null;
                cluster.miniCluster().startTaskManager();
                live.add(next++);
            }

            private void terminate(int index) throws Exception {
                MiniCluster mini = cluster.miniCluster();
                mini.terminateTaskManager(index).get(60, TimeUnit.SECONDS);
            }
        };
    }

    /** Arms {@link FailAfterCheckpoint} and waits until it threw. */
    static FaultAction operatorFailure(String name, Duration timeout) {
        return fault -> {
            int before = FailAfterCheckpoint.failures(name);
            FailAfterCheckpoint.arm(name);
            boolean fired = false;
            try {
                long deadline = System.nanoTime() + timeout.toNanos();
                while (FailAfterCheckpoint.failures(name) == before) {
                    if (System.nanoTime() > deadline) {
                        throw new TimeoutException(
                                "FailAfterCheckpoint '"
                                        + name
                                        + "' did not fire within "
                                        + Reports.seconds(timeout)
                                        + ": it needs a completed checkpoint and then a record;"
                                        + " is the job running, checkpointing, and is input still"
                                        + " flowing through the operator?");
                    }
                    Thread.sleep(5);
                }
                fired = true;
                return "operator '" + name + "' threw";
            } finally {
                if (!fired) {
                    // Timed out or interrupted: it must not fire later, in another fault's window.
                    FailAfterCheckpoint.disarm(name);
                }
            }
        };
    }

    static FaultAction kafkaBroker(EmbeddedKafkaBroker broker) {
        return new FaultAction() {
            @Override
            public String inject(Fault fault) {
                broker.kill();
                return "broker " + broker.bootstrapServers() + " killed";
            }

            @Override
            public void heal(Fault fault) {
                broker.restart();
            }
        };
    }

    static FaultAction postgres(EmbeddedPostgresServer server) {
        return new FaultAction() {
            @Override
            public String inject(Fault fault) {
                server.kill();
                return "PostgreSQL on port " + server.port() + " stopped (immediate)";
            }

            @Override
            public void heal(Fault fault) {
                server.restart();
            }
        };
    }

    static FaultAction s3(EmbeddedS3 s3) {
        return new FaultAction() {
            @Override
            public String inject(Fault fault) {
                s3.kill();
                return "S3 " + s3.endpoint() + " down";
            }

            @Override
            public void heal(Fault fault) {
                s3.restart();
            }
        };
    }

    /** Terminates the backends whose application_name matches the SQL LIKE pattern. */
    static FaultAction postgresConnections(PostgresService postgres, String applicationNameLike) {
        return fault -> {
            try (Connection connection = postgres.connect("postgres");
                    PreparedStatement kill =
                            connection.prepareStatement(
                                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
                                            + " FROM pg_stat_activity"
                                            + " WHERE pid <> pg_backend_pid()"
                                            + " AND application_name LIKE ?")) {
                kill.setString(1, applicationNameLike);
                try (ResultSet rs = kill.executeQuery()) {
                    rs.next();
                    long terminated = rs.getLong(1);
                    if (terminated == 0) {
                        throw new IllegalStateException(
                                "No connection terminated: no PostgreSQL backend has an"
                                        + " application_name LIKE '"
                                        + applicationNameLike
                                        + "'. Is the sink connected, and does its JDBC URL set"
                                        + " ApplicationName to match?");
                    }
                    return terminated
                            + " connection(s) with application_name LIKE '"
                            + applicationNameLike
                            + "' terminated";
                }
            }
        };
    }
}
