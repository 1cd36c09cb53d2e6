package io.pipelinekit.jobs.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Prometheus alert rules in deploy/prometheus pass {@code promtool check rules} and their
 * {@code promtool test rules} unit tests, and every alert has a test and a runbook.
 */
class AlertRulesTest {

    private static final Path RULES_DIR = Paths.get("..", "deploy", "prometheus");
    private static final Path RULES = RULES_DIR.resolve("alert-rules.yml");
    private static final Path RULE_TESTS = RULES_DIR.resolve("alert-rules-test.yml");
    private static final Path RUNBOOKS = Paths.get("..", "docs", "operations.md");
    private static final Pattern ALERT = Pattern.compile("(?m)^\\s*- alert: (\\S+)");
    private static final Pattern TESTED = Pattern.compile("(?m)^\\s*alertname: (\\S+)");

    private static Path promtool;

    @BeforeAll
    static void findPromtool() throws Exception {
        promtool = Promtool.locate();
    }

    @Test
    void rulesAreValid() throws Exception {
        assertThat(run("check", "rules", RULES.toAbsolutePath().toString())).contains("SUCCESS");
    }

    @Test
    void ruleUnitTestsPass() throws Exception {
        assertThat(run("test", "rules", RULE_TESTS.toAbsolutePath().toString()))
                .contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestAndARunbook() throws IOException {
        Set<String> alerts = matches(ALERT, RULES);
        assertThat(alerts).isNotEmpty();
        assertThat(matches(TESTED, RULE_TESTS))
                .as("alerts with a case in %s", RULE_TESTS)
                .containsAll(alerts);
        String runbooks = Files.readString(RUNBOOKS, StandardCharsets.UTF_8);
        List<String> withoutRunbook = new ArrayList<>();
        for (String alert : alerts) {
            if (!runbooks.contains("### " + alert)
                    || !Files.readString(RULES)
                            .contains("operations.md#" + alert.toLowerCase(Locale.ROOT))) {
                withoutRunbook.add(alert);
            }
        }
        assertThat(withoutRunbook)
                .as(
                        "alerts without a '### <Alert>' runbook in %s or without a runbook link"
                                + " annotation in %s",
                        RUNBOOKS, RULES)
                .isEmpty();
    }

    private static Set<String> matches(Pattern pattern, Path file) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = pattern.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static String run(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(promtool.toString());
        command.addAll(List.of(args));
        Process process =
                new ProcessBuilder(command)
                        .directory(RULES_DIR.toFile())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue())
                .as("%s failed:%n%s", String.join(" ", command), output)
                .isZero();
        return output;
    }
}
