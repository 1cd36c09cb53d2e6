package io.pipelinekit.testkit.chaos;

import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.kafka.EmbeddedKafkaBroker;
import io.pipelinekit.testkit.s3.EmbeddedS3;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;

import java.time.Duration;

/**
 * The services a chaos test may kill, private to the test class: a Kafka broker, S3 and a Flink
 * MiniCluster with one TaskManager checkpointing to that S3. Shared services (the JVM-wide ones of
 * the JUnit extensions) must never see a fault; a schema registry or PostgreSQL that the plan does
 * not touch can still come from the extensions.
 *
 * <pre>{@code
 * private static ChaosServices services;
 *
 * @BeforeAll static void start() throws Exception { services = ChaosServices.start(2); }
 * @AfterAll static void stop() throws Exception { services.close(); }
 *
 * FaultInjector.builder(plan).taskManagers(services.flink()).kafkaBroker(services.broker())
 *         .s3(services.s3()) ...
 * }</pre>
 */
@PublicEvolving
public final class ChaosServices implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedS3 s3;
    private final FlinkTestCluster flink;

    private ChaosServices(EmbeddedKafkaBroker broker, EmbeddedS3 s3, FlinkTestCluster flink) {
        this.broker = broker;
        this.s3 = s3;
        this.flink = flink;
    }

    /**
     * Starts a broker, S3 and a MiniCluster with one TaskManager of {@code slots} slots: with one
     * TaskManager every kill hits the job, which waits for the replacement the injector starts
     * after the downtime.
     */
    public static ChaosServices start(int slots) throws Exception {
        EmbeddedKafkaBroker broker = null;
        EmbeddedS3 s3 = null;
        try {
            broker = EmbeddedKafkaBroker.builder().build().start();
            s3 = EmbeddedS3.builder().build().start();
            EmbeddedS3 store = s3;
            FlinkTestCluster flink =
                    FlinkTestCluster.builder()
                            .taskManagers(1)
                            .slotsPerTaskManager(slots)
                            .s3Checkpoints(() -> store)
                            .build()
                            .start();
            return new ChaosServices(broker, s3, flink);
        } catch (Exception | Error e) {
            if (s3 != null) {
                s3.close();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    /**
     * Job settings that restart through every fault of a plan (fixed 500 ms delay, 1000 attempts),
     * for {@code env.configure(...)} after the job applied its own: production restart policies
     * give up after a few failures close together, and a plan packs its faults into minutes.
     */
    public static Configuration restartThroughEveryFault() {
        Configuration settings = new Configuration();
        settings.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        settings.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1000);
        settings.set(
                RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        return settings;
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    public EmbeddedS3 s3() {
        return s3;
    }

    public FlinkTestCluster flink() {
        return flink;
    }

    /** Stops the cluster first (its jobs use the others), then the broker and S3. */
    @Override
    public void close() throws Exception {
        try {
            flink.close();
        } finally {
            try {
                broker.close();
            } finally {
                s3.close();
            }
        }
    }
}
