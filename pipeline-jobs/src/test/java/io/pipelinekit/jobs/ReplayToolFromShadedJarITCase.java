package io.pipelinekit.jobs;

import io.pipelinekit.core.dlq.DeadLetterCodec;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.dlq.KafkaSource;
import io.pipelinekit.testkit.junit5.KafkaExtension;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DLQ replay tool runs from the shaded job jar with only Flink's own jars beside it, as with
 * {@code java -cp "pipeline-jobs.jar:$FLINK_HOME/lib/*" io.pipelinekit.core.dlq.DeadLetterReplay}.
 */
class ReplayToolFromShadedJarITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void replayToolRunsFromTheShadedJar() throws Exception {
        String dlq = KAFKA.service().createUniqueTopic("jobs-dlq", 1);
        String source = KAFKA.service().createUniqueTopic("jobs-source", 1);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            producer.send(new ProducerRecord<>(dlq, DeadLetterCodec.encode(letter(source)))).get();
        }

        // What a Flink distribution's lib/ has: Flink itself and logging, not our classes.
        String flinkLib =
                Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                        .filter(
                                e ->
                                        e.contains("/org/apache/flink/")
                                                || e.contains("/org/slf4j/")
                                                || e.contains("/org/apache/logging/log4j/"))
                        .filter(
                                e ->
                                        !e.contains("flink-connector-kafka")
                                                && !e.contains("io/pipelinekit"))
                        .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("shaded.jar") + File.pathSeparator + flinkLib);
        command.add("io.pipelinekit.core.dlq.DeadLetterReplay");
        command.addAll(
                List.of(
                        "--kafka.bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--replay.dlq-topic",
                        dlq,
                        "--replay.group-id",
                        "from-shaded-jar"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("Dead-letter replay").contains("replayed");
        assertThat(KAFKA.service().readCommitted(source))
                .singleElement()
                .satisfies(
                        r ->
                                assertThat(new String(r.value(), StandardCharsets.UTF_8))
                                        .isEqualTo("original"));
    }

    private static DeadLetter letter(String sourceTopic) {
        return DeadLetter.newBuilder()
                .setId(UUID.randomUUID())
                .setStage(FailureStage.PROCESS)
                .setReason("EXCEPTION_IllegalStateException")
                .setValue(ByteBuffer.wrap("original".getBytes(StandardCharsets.UTF_8)))
                .setSource(
                        KafkaSource.newBuilder()
                                .setTopic(sourceTopic)
                                .setPartition(0)
                                .setOffset(42)
                                .setTimestamp(Instant.now())
                                .build())
                .setOperatorUid("enrich")
                .setJobName("jobs")
                .setFailedAt(Instant.now())
                .build();
    }
}
