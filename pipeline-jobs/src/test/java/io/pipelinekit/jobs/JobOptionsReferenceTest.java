package io.pipelinekit.jobs;

import io.pipelinekit.core.config.OptionsReference;
import io.pipelinekit.jobs.fraud.FraudDetectionOptions;
import io.pipelinekit.jobs.inventory.InventorySyncOptions;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The jobs' option references in docs/ are generated from the code and must not drift from it. */
class JobOptionsReferenceTest {

    static Stream<Arguments> references() {
        return Stream.of(
                Arguments.of("inventory-sync-options.md", InventorySyncOptions.class),
                Arguments.of("fraud-detection-options.md", FraudDetectionOptions.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void docsMatchTheCode(String file, Class<?> options) throws IOException {
        Path doc = Paths.get("..", "docs", file);
        String generated = OptionsReference.markdown(options);
        if (Boolean.getBoolean("pipelinekit.update-docs")) {
            Files.writeString(doc, generated, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "")
                .as(
                        "docs/%s is out of date: run ./mvnw -pl pipeline-jobs test"
                                + " -Dtest=JobOptionsReferenceTest -Dpipelinekit.update-docs=true",
                        file)
                .isEqualTo(generated);
    }
}
