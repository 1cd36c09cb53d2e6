package io.pipelinekit.core.example;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/core.md shows the example job exactly as it compiles and runs. */
class DocsExampleTest {

    @Test
    void guideContainsTheCompiledExample() throws IOException {
        String source =
                Files.readString(
                        Paths.get(
                                "src/test/java/io/pipelinekit/core/example/PaymentsPerMerchantJob.java"),
                        StandardCharsets.UTF_8);
        String region =
                source.substring(
                        source.indexOf("    // tag::job[]\n") + "    // tag::job[]\n".length(),
                        source.indexOf("    // end::job[]"));
        String guide = Files.readString(Paths.get("..", "docs", "core.md"), StandardCharsets.UTF_8);

        assertThat(region).contains("public static void build(");
        assertThat(guide)
                .as("docs/core.md must contain PaymentsPerMerchantJob's tagged region verbatim")
                .contains("```java\n" + region + "```");
    }
}
