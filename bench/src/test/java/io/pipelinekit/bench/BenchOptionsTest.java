package io.pipelinekit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchOptionsTest {

    @TempDir Path dir;

    @Test
    void parsesOptionsAndRendersTheCommandThatReproducesTheRun() throws Exception {
        Path jar = Files.createFile(dir.resolve("jobs.jar"));
        BenchMain.BenchOptions options =
                BenchMain.BenchOptions.parse(
                        new String[] {
                            "--jobs-jar",
                            jar.toString(),
                            "--results",
                            "R.md",
                            "--records",
                            "200_000",
                            "--only",
                            "fraud,latency",
                            "--quick",
                            "--timeout",
                            "5m"
                        });
        assertThat(options.records).isEqualTo(200_000);
        assertThat(options.suites).containsExactly("fraud", "latency");
        assertThat(options.quick).isTrue();
        assertThat(options.timeout).isEqualTo(Duration.ofMinutes(5));
        assertThat(options.needsPayments()).isTrue();
        assertThat(options.command())
                .isEqualTo(
                        "./mvnw -Pbench -Dbench.args=\"--records 200_000 --only fraud,latency"
                                + " --quick --timeout 5m\"");
    }

    @Test
    void defaultsRunEverythingAndNameTheCommandPlainly() throws Exception {
        Path jar = Files.createFile(dir.resolve("jobs.jar"));
        BenchMain.BenchOptions options =
                BenchMain.BenchOptions.parse(new String[] {"--jobs-jar", jar.toString()});
        assertThat(options.suites)
                .containsExactly(
                        "ceiling", "guarantees", "fraud", "cdc", "latency", "memory", "micro");
        assertThat(options.command()).isEqualTo("./mvnw -Pbench");
    }

    @Test
    void rejectsUnknownSuitesAndAMissingJar() throws Exception {
        Path jar = Files.createFile(dir.resolve("jobs.jar"));
        assertThatThrownBy(
                        () ->
                                BenchMain.BenchOptions.parse(
                                        new String[] {"--jobs-jar", jar.toString(), "--only", "x"}))
                .hasMessageContaining("Unknown suite 'x'");
        assertThatThrownBy(
                        () ->
                                BenchMain.BenchOptions.parse(
                                        new String[] {
                                            "--jobs-jar", dir.resolve("no.jar").toString()
                                        }))
                .hasMessageContaining("run ./mvnw -Pbench");
    }
}
