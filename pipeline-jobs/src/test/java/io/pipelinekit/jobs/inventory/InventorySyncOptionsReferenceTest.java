package io.pipelinekit.jobs.inventory;

import io.pipelinekit.core.config.OptionsReference;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/inventory-sync-options.md is generated from the code and must not drift from it. */
class InventorySyncOptionsReferenceTest {

    private static final Path DOC = Paths.get("..", "docs", "inventory-sync-options.md");

    @Test
    void docsMatchTheCode() throws IOException {
        String generated = OptionsReference.markdown(InventorySyncOptions.class);
        if (Boolean.getBoolean("pipelinekit.update-docs")) {
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
                .as(
                        "docs/inventory-sync-options.md is out of date: run ./mvnw -pl"
                                + " pipeline-jobs test -Dtest=InventorySyncOptionsReferenceTest"
                                + " -Dpipelinekit.update-docs=true")
                .isEqualTo(generated);
    }
}
