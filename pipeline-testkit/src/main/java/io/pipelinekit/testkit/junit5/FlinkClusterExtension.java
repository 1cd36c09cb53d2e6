package io.pipelinekit.testkit.junit5;

import io.pipelinekit.testkit.ServiceUnavailableException;
import io.pipelinekit.testkit.flink.FlinkTestCluster;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.streaming.util.TestStreamEnvironment;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.Objects;

/**
 * Runs a {@link FlinkTestCluster} for a test class: started before all tests, jobs left running by
 * a test cancelled after it, stopped after the class. {@code
 * StreamExecutionEnvironment.getExecutionEnvironment()} runs on it while the class runs.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final FlinkClusterExtension FLINK =
 *         new FlinkClusterExtension(
 *                 FlinkTestCluster.builder().slotsPerTaskManager(4).s3Checkpoints(TestServices::s3));
 * }</pre>
 */
@PublicEvolving
public final class FlinkClusterExtension
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private final FlinkTestCluster.Builder builder;
    private FlinkTestCluster cluster;
    private String unavailable;

    /** One task manager with two slots, checkpoints on the local file system. */
    public FlinkClusterExtension() {
        this(FlinkTestCluster.builder());
    }

    public FlinkClusterExtension(FlinkTestCluster.Builder builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    /** The running cluster; available from {@code @BeforeAll} on. */
    public FlinkTestCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException(
                    "FlinkClusterExtension is not started: register it with @RegisterExtension on a"
                            + " static field");
        }
        return cluster;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        try {
            cluster = builder.build().start();
        } catch (ServiceUnavailableException e) {
            unavailable = e.getMessage();
            return;
        }
        TestStreamEnvironment.setAsContext(cluster.miniCluster(), cluster.slots());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        // Reported per test as skipped with the reason (see SharedServiceExtension).
        if (unavailable != null) {
            Assumptions.abort(unavailable);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (cluster != null) {
            cluster.cancelAllJobs(Duration.ofSeconds(60));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        TestStreamEnvironment.unsetAsContext();
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
