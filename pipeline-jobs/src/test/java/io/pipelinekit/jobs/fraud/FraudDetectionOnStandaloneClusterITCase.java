package io.pipelinekit.jobs.fraud;

import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.StandaloneFlinkCluster;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded job jar runs fraud-detection on a real standalone Flink 1.20 cluster (JobManager and
 * TaskManager processes), submitted through the REST API with a configuration file, as with {@code
 * flink run}; the alerts equal the reference model.
 */
class FraudDetectionOnStandaloneClusterITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @TempDir Path work;

    @Test
    void theShadedJarScoresPaymentsOnAStandaloneCluster() throws Exception {
        Path jar = Paths.get(System.getProperty("shaded.jar"));
        assertThat(jar).exists();
        FraudTestBed bed =
                new FraudTestBed(
                        KAFKA.service(),
                        REGISTRY.registry().url(),
                        work.resolve("checkpoints").toUri().toString());
        bed.publishRules(FraudRules.defaults());
        List<PaymentTransaction> payments = FraudTestBed.generate(10, 2_000);
        TreeSet<String> expected =
                FraudTestBed.expectedAlerts(payments, FraudRules.defaults(), tx -> true);
        assertThat(expected).isNotEmpty();

        Path configFile = work.resolve("fraud-detection.yaml");
        StringBuilder yaml = new StringBuilder();
        bed.config
                .toMap()
                .forEach((k, v) -> yaml.append(k).append(": \"").append(v).append("\"\n"));
        Files.writeString(configFile, yaml.toString());

        try (StandaloneFlinkCluster flink =
                StandaloneFlinkCluster.builder()
                        .taskSlots(4)
                        .config("parallelism.default", "2")
                        .build()
                        .start()) {
            String jarId = flink.uploadJar(jar);
            String job =
                    flink.runJar(
                            jarId,
                            FraudDetectionJob.class.getName(),
                            List.of("--config", configFile.toString()),
                            null);
            flink.awaitRunning(job, Duration.ofMinutes(2));
            bed.awaitRulesInForce();
            bed.produce(
                    payments,
                    payments.get(payments.size() - 1).getEventTime().plusSeconds(3600),
                    false);

            assertThat(FraudTestBed.alertKeys(bed.awaitAlerts(expected.size())))
                    .as("alerts from the shaded jar; cluster logs:%n%s", flink.logTail(40))
                    .isEqualTo(expected);
            flink.cancel(job);
        }
    }
}
