package io.pipelinekit.testkit.internal.process;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that a test JVM that dies without any clean-up ({@code kill -9}, a surefire fork timeout)
 * leaves no Kafka broker, S3Proxy or PostgreSQL process behind.
 */
class OrphanedProcessesITCase {

    private static final Duration TIMEOUT = Duration.ofSeconds(180);

    @Test
    void killedTestJvmTakesItsServicesDown() throws Exception {
        List<Path> classpath =
                Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                        .map(Paths::get)
                        .collect(Collectors.toList());
        Path workDir = ServiceSupport.newWorkDir("orphan-probe");
        ChildJvm testJvm =
                ChildJvm.builder("stand-in-test-jvm")
                        .classpath(classpath)
                        .workDir(workDir)
                        .jvmArg("-Dmaven.repo.local=" + MavenArtifacts.localRepository())
                        .jvmArg("-Dpipelinekit.work.dir=" + workDir)
                        .mainClass(ServicesHolderMain.class.getName())
                        .start();
        List<ProcessHandle> servers;
        try {
            String line = awaitPidsLine(testJvm);
            servers =
                    Arrays.stream(
                                    line.substring(ServicesHolderMain.PIDS_PREFIX.length())
                                            .split(" "))
                            .map(pid -> ProcessHandle.of(Long.parseLong(pid.trim())))
                            .map(Optional::orElseThrow)
                            .collect(Collectors.toList());
            assertThat(servers).hasSize(4).allSatisfy(p -> assertThat(p.isAlive()).isTrue());

            // SIGKILL: no shutdown hook runs in the stand-in test JVM.
            ProcessHandle.of(testJvm.pid()).orElseThrow().destroyForcibly();
        } finally {
            testJvm.close();
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (servers.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(servers)
                .as(
                        "Kafka, S3Proxy, PostgreSQL supervisor and postmaster after kill -9 of"
                                + " their test JVM")
                .allSatisfy(p -> assertThat(p.isAlive()).as("pid %s alive", p.pid()).isFalse());
        ServiceSupport.deleteWorkDir(workDir);
    }

    private static String awaitPidsLine(ChildJvm testJvm) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            testJvm.checkAlive();
            Optional<String> line =
                    Arrays.stream(testJvm.logTail(500).split("\n"))
                            .filter(l -> l.startsWith(ServicesHolderMain.PIDS_PREFIX))
                            .findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(
                "The stand-in test JVM did not start its services:\n" + testJvm.logTail(80));
    }
}
