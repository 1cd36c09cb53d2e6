package io.pipelinekit.testkit.internal.process;

import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.postgres.EmbeddedPostgresServer;
import io.pipelinekit.testkit.s3.EmbeddedS3;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

/**
 * Stands in for a test JVM: starts all three embedded services, prints the process ids of every
 * server process, then waits to be killed.
 */
public final class ServicesHolderMain {

    static final String PIDS_PREFIX = "SERVICE-PIDS ";

    private ServicesHolderMain() {}

    public static void main(String[] args) throws Exception {
        EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
        EmbeddedS3 s3 = EmbeddedS3.builder().build().start();
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.builder().build().start();
        long postmaster;
        try (Connection connection = postgres.connect("postgres");
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            // A backend's parent is the postmaster, which pg_ctl detached from the supervisor.
            postmaster =
                    ProcessHandle.of(rs.getLong(1))
                            .flatMap(ProcessHandle::parent)
                            .orElseThrow()
                            .pid();
        }
        System.out.println(
                PIDS_PREFIX
                        + kafka.pid()
                        + " "
                        + s3.pid()
                        + " "
                        + postgres.pid()
                        + " "
                        + postmaster);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
