package io.pipelinekit.testkit.internal.postgres;

import org.apache.flink.annotation.Internal;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs inside the PostgreSQL supervisor JVM: starts the server and stops it (fast shutdown) when
 * the JVM exits, which {@code ChildJvmMain} makes happen when the test JVM goes away.
 *
 * <p>Arguments: port, data directory, then {@code key=value} server parameters.
 */
@Internal
public final class PostgresServerMain {

    /**
     * System property: {@code true} starts the server on the existing data directory (a restart)
     * and keeps it when the server stops.
     */
    public static final String EXISTING_DATA = "pipelinekit.postgres.existingData";

    private PostgresServerMain() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        EmbeddedPostgres.Builder builder =
                EmbeddedPostgres.builder()
                        .setPort(port)
                        .setDataDirectory(Paths.get(args[1]))
                        // Without initdb on existing data, and keeping it for the next restart.
                        .setCleanDataDirectory(!Boolean.getBoolean(EXISTING_DATA))
                        .setPGStartupWait(Duration.ofSeconds(90));
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            builder.setServerConfig(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        EmbeddedPostgres postgres = builder.start();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    try {
                                        postgres.close();
                                    } catch (Exception e) {
                                        e.printStackTrace();
                                    }
                                },
                                "postgres-stop"));
        System.out.println("pipelinekit: PostgreSQL running on port " + port);
        new CountDownLatch(1).await();
    }
}
