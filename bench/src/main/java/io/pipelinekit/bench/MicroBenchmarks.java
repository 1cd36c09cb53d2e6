package io.pipelinekit.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.Locale;

/** Runs the JMH micro-benchmarks of {@code io.pipelinekit.bench.micro} and tabulates them. */
final class MicroBenchmarks {

    private MicroBenchmarks() {}

    static String run(boolean quick) throws Exception {
        Options options =
                new OptionsBuilder()
                        .include("io\\.pipelinekit\\.bench\\.micro\\..*")
                        .forks(1)
                        .warmupIterations(quick ? 1 : 3)
                        .warmupTime(TimeValue.seconds(quick ? 1 : 2))
                        .measurementIterations(quick ? 2 : 5)
                        .measurementTime(TimeValue.seconds(quick ? 1 : 2))
                        .jvmArgsAppend("-Xmx1g", "-XX:+UseParallelGC")
                        .shouldFailOnError(true)
                        .build();
        Collection<RunResult> results = new Runner(options).run();
        StringBuilder out =
                new StringBuilder(
                        String.format(
                                Locale.ROOT,
                                "JMH 1.37, 1 fork, %d x %d s warm-up, %d x %d s measured, one"
                                        + " thread; higher is better.%n%n",
                                quick ? 1 : 3,
                                quick ? 1 : 2,
                                quick ? 2 : 5,
                                quick ? 1 : 2));
        out.append("| benchmark | parameters | ops/s | error (99.9%) | ns/op |\n");
        out.append("|---|---|---:|---:|---:|\n");
        for (RunResult result : results) {
            var params = result.getParams();
            StringBuilder paramText = new StringBuilder();
            for (String key : params.getParamsKeys()) {
                paramText.append(key).append('=').append(params.getParam(key)).append(' ');
            }
            double score = result.getPrimaryResult().getScore();
            double error = result.getPrimaryResult().getScoreError();
            String name = params.getBenchmark().replace("io.pipelinekit.bench.micro.", "");
            out.append("| `")
                    .append(name)
                    .append("` | ")
                    .append(paramText.length() == 0 ? "-" : paramText.toString().trim())
                    .append(" | ")
                    .append(Stats.number(score))
                    .append(" | ")
                    .append(Stats.number(error))
                    .append(" | ")
                    .append(Stats.number(1e9 / score))
                    .append(" |\n");
        }
        return out.toString();
    }
}
