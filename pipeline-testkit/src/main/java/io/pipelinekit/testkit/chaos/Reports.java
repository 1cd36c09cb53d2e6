package io.pipelinekit.testkit.chaos;

import java.time.Duration;
import java.util.Locale;

/** Formatting shared by the plan, the checkers and the report. */
final class Reports {

    private Reports() {}

    /** {@code 4.2 s}. */
    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    /** Escapes a value for a Markdown table cell. */
    static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
