package io.pipelinekit.core.config;

import io.pipelinekit.core.checkpoint.CheckpointOptions;
import io.pipelinekit.core.dlq.DeadLetterOptions;
import io.pipelinekit.core.dlq.ReplayOptions;
import io.pipelinekit.core.kafka.KafkaOptions;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.core.sink.IdempotentSinkOptions;
import io.pipelinekit.core.sink.postgres.PostgresSinkOptions;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/options.md is generated from the code and must not drift from it. */
class OptionsReferenceTest {

    /** Every options class of pipeline-core, in the order of the reference. */
    static final Class<?>[] ALL = {
        KafkaOptions.class,
        SchemaRegistryOptions.class,
        CheckpointOptions.class,
        DeadLetterOptions.class,
        ReplayOptions.class,
        IdempotentSinkOptions.class,
        PostgresSinkOptions.class
    };

    private static final Path DOC = Paths.get("..", "docs", "options.md");

    @Test
    void docsMatchTheCode() throws IOException {
        String generated = OptionsReference.markdown(ALL);
        if (Boolean.getBoolean("pipelinekit.update-docs")) {
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(DOC)).as("%s exists", DOC).isTrue();
        assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
                .as(
                        "docs/options.md is out of date: run ./mvnw -pl pipeline-core test"
                                + " -Dtest=OptionsReferenceTest -Dpipelinekit.update-docs=true")
                .isEqualTo(generated);
    }

    @Test
    void referenceListsKeysTypesDefaultsAndEnvironmentVariables() {
        String generated = OptionsReference.markdown(ALL);

        assertThat(generated)
                .contains(
                        "| `schema-registry.url` | String |  | `PIPELINEKIT_SCHEMA_REGISTRY_URL` |")
                .contains("| `schema-registry.basic-auth.password` (secret) |")
                .contains(
                        "| `dlq.action.process` | one of FAIL, SKIP_AND_COUNT, DEAD_LETTER |"
                                + " `DEAD_LETTER` |");
    }
}
