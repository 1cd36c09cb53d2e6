package io.pipelinekit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Collects the results of a run and writes them as Markdown ({@code bench/RESULTS.md}). */
final class Report {

    private final List<String> machine = new ArrayList<>();
    private final List<Comparison> comparisons = new ArrayList<>();
    private final List<String[]> goals = new ArrayList<>();
    private final StringBuilder sections = new StringBuilder();
    private final String command;
    private final Instant started = Instant.now();

    Report(String command) {
        this.command = command;
    }

    void machine(String fact) {
        machine.add(fact);
    }

    static String interval(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    void add(Comparison comparison) {
        comparisons.add(comparison);
        goals.add(
                new String[] {
                    comparison.title,
                    Stats.ratio(comparison.ratio())
                            + (comparison.basis == Comparison.Basis.PER_CORE ? " per core" : ""),
                    comparison.verdict()
                });
    }

    /** A target that is not a throughput ratio, e.g. a latency bound. */
    void goal(String what, String value, String verdict) {
        goals.add(new String[] {what, value, verdict});
    }

    void section(String title, String markdown) {
        sections.append("\n## ").append(title).append("\n\n").append(markdown.strip()).append('\n');
    }

    /** A table of the comparisons: medians, ratio, and every run's numbers. */
    static String table(List<Comparison> list) {
        StringBuilder out = new StringBuilder();
        out.append(
                "| comparison | baseline (median) | candidate (median) | ratio | target |\n"
                        + "|---|---:|---:|---:|---|\n");
        for (Comparison c : list) {
            String unit = c.basis == Comparison.Basis.WALL ? " rec/s" : " rec/CPU-s";
            out.append("| ")
                    .append(c.title)
                    .append(" | ")
                    .append(Stats.number(c.baselineMedian()))
                    .append(unit)
                    .append(" | ")
                    .append(Stats.number(c.candidateMedian()))
                    .append(unit)
                    .append(" | ")
                    .append(Stats.ratio(c.ratio()))
                    .append(" | ")
                    .append(c.verdict())
                    .append(" |\n");
        }
        out.append(
                "\nEvery run, in the order they ran (A B A B ...):\n\n"
                        + "| comparison | run | program | rec/s | rec/CPU-s | CPU s | peak RSS |\n"
                        + "|---|---|---|---:|---:|---:|---:|\n");
        for (Comparison c : list) {
            for (int i = 0; i < Math.max(c.baselineRuns.size(), c.candidateRuns.size()); i++) {
                if (i < c.baselineRuns.size()) {
                    row(out, c, "A" + (i + 1), c.baselineRuns.get(i));
                }
                if (i < c.candidateRuns.size()) {
                    row(out, c, "B" + (i + 1), c.candidateRuns.get(i));
                }
            }
        }
        return out.toString();
    }

    private static void row(StringBuilder out, Comparison c, String run, Sample s) {
        out.append("| ")
                .append(c.title)
                .append(" | ")
                .append(run)
                .append(" | ")
                .append(s.label())
                .append(" | ")
                .append(Stats.number(s.recordsPerSecond()))
                .append(" | ")
                .append(Stats.number(s.recordsPerCpuSecond()))
                .append(" | ")
                .append(Stats.number(s.cpuSeconds()))
                .append(" | ")
                .append(Stats.mebibytes(s.peakRssBytes()))
                .append(" |\n");
    }

    void write(Path file, String notes) throws IOException {
        StringBuilder out = new StringBuilder();
        out.append("# Benchmark results\n\n")
                .append(
                        "Written by the benchmark harness ([README](README.md)); do not edit by"
                                + " hand. Run on ")
                .append(
                        DateTimeFormatter.ISO_LOCAL_DATE_TIME
                                .withZone(ZoneOffset.UTC)
                                .format(started)
                                .substring(0, 16))
                .append(" UTC, took ")
                .append(
                        String.format(
                                Locale.ROOT,
                                "%.1f min",
                                (Instant.now().toEpochMilli() - started.toEpochMilli()) / 60000.0))
                .append(".\n\n```bash\n")
                .append(command)
                .append("\n```\n\n**Machine:** ")
                .append(String.join("; ", machine))
                .append(
                        "\n\n## Targets\n\nGoals, not test assertions; each ratio is of medians"
                                + " measured alternately in this one run.\n\n"
                                + "| measurement | result | target |\n|---|---:|---|\n");
        for (String[] goal : goals) {
            out.append("| ")
                    .append(goal[0])
                    .append(" | ")
                    .append(goal[1])
                    .append(" | ")
                    .append(goal[2])
                    .append(" |\n");
        }
        out.append(sections);
        if (notes != null && !notes.isBlank()) {
            out.append("\n## What limits the missed targets\n\n")
                    .append(notes.strip())
                    .append('\n');
        }
        Files.writeString(file, out.toString());
    }
}
