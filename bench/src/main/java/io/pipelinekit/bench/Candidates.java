package io.pipelinekit.bench;

import io.pipelinekit.bench.jobs.FraudRulesSql;
import io.pipelinekit.jobs.fraud.FraudDetectionJob;
import io.pipelinekit.jobs.fraud.FraudDetectionOptions;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.jobs.fraud.FraudTestBed;

import org.apache.flink.configuration.Configuration;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The programs the benchmarks compare, each run once over the pre-generated payments topic and
 * measured the same way: records taken from the input per second in the steady window.
 */
final class Candidates {

    /** The fraud rules both the job and its Flink SQL equivalent evaluate. */
    static final String VELOCITY_WINDOW_SECONDS = "60";

    /**
     * Checkpoint interval of the fraud job and its SQL equivalent: RocksDB's incremental
     * checkpoints every second turn each second's writes into new files to compact, which on two
     * cores takes the CPU the job needs (see LIMITS.md).
     */
    static final long FRAUD_CHECKPOINT_INTERVAL_MS = 10_000;

    private final BenchServices services;
    private final String input;
    private final long records;
    private final Duration timeout;

    Candidates(BenchServices services, String input, long records, Duration timeout) {
        this.services = services;
        this.input = input;
        this.records = records;
        this.timeout = timeout;
    }

    /** Measurement 1: the plain Kafka client loop, in a JVM of its own. */
    Sample ceiling() throws Exception {
        String output = services.createTopic("bench.ceiling-out", 2);
        List<String> command = new ArrayList<>();
        command.add(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.addAll(
                ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                        .filter(arg -> arg.startsWith("--add-"))
                        .toList());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CeilingLoop.class.getName());
        command.add(services.kafka.bootstrapServers());
        command.add(services.registry.url());
        command.add(input);
        command.add(output);
        command.add(Long.toString(records));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        AtomicLong progress = new AtomicLong(-1);
        StringBuilder log = new StringBuilder();
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader lines =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    process.getInputStream(),
                                                    StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = lines.readLine()) != null) {
                                    if (line.startsWith("progress ")) {
                                        progress.set(Long.parseLong(line.substring(9)));
                                    } else if (log.length() < 20_000) {
                                        log.append(line).append('\n');
                                    }
                                }
                            } catch (Exception e) {
                                log.append(e);
                            }
                        },
                        "ceiling-output");
        reader.start();
        try {
            return ThroughputMeter.measure(
                    "ceiling (plain Kafka clients)",
                    progress::get,
                    records,
                    process.pid(),
                    timeout,
                    () -> {
                        if (!process.isAlive() && progress.get() < records) {
                            throw new IllegalStateException(
                                    "The ceiling loop exited with "
                                            + process.exitValue()
                                            + ":\n"
                                            + log);
                        }
                    });
        } finally {
            process.destroyForcibly().waitFor();
            reader.join(5000);
            services.deleteTopics(output);
        }
    }

    /** Measurements 2 and 3: KafkaSource -> map -> KafkaSink. */
    Sample passthrough(String guarantee, long checkpointMillis) throws Exception {
        String name =
                "passthrough "
                        + guarantee.toLowerCase().replace('_', '-')
                        + " @ "
                        + Report.interval(checkpointMillis);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String output = services.createTopic("bench.passthrough-out", 2);
        String job =
                services.submitPassthrough(
                        input, output, "passthrough-" + run, guarantee, checkpointMillis);
        try {
            return measureJob(name, job, "payments");
        } finally {
            services.cancel(job);
            services.deleteTopics(output);
        }
    }

    /** Measurement 4: the fraud-detection job as shipped, velocity and amount rules in force. */
    Sample fraud(boolean rocksDb) throws Exception {
        return fraud(rocksDb, null);
    }

    /**
     * Runs the fraud job; with {@code afterMeasure}, calls it with the job id while the job still
     * runs (e.g. to read its checkpoint statistics).
     */
    Sample fraud(boolean rocksDb, JobObserver afterMeasure) throws Exception {
        String name =
                "fraud-detection "
                        + (rocksDb ? "RocksDB" : "heap")
                        + " exactly-once @ "
                        + Report.interval(FRAUD_CHECKPOINT_INTERVAL_MS);
        String run = UUID.randomUUID().toString().substring(0, 8);
        FraudTestBed bed =
                new FraudTestBed(
                        services.kafka,
                        services.registry.url(),
                        services.checkpointDir("fraud-" + run));
        bed.publishRules(
                List.of(
                        FraudRules.velocity(
                                1, Integer.parseInt(VELOCITY_WINDOW_SECONDS), 5, "3000"),
                        FraudRules.amountAnomaly(1, 5, 20, 4.0)));
        Configuration config = bed.config;
        config.set(FraudDetectionOptions.TRANSACTIONS_TOPIC, input);
        config.set(FraudDetectionOptions.MAX_OUT_OF_ORDERNESS, Duration.ofSeconds(10));
        config.setString("checkpoint.preset", rocksDb ? "LARGE_STATE" : "BALANCED");
        config.setString("checkpoint.interval", FRAUD_CHECKPOINT_INTERVAL_MS + " ms");
        config.setString("kafka.sink.transactional-id-prefix", "fraud-" + run);
        config.setString("kafka.sink.transaction-timeout", "1 h");
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> option : config.toMap().entrySet()) {
            args.add("--" + option.getKey());
            args.add(option.getValue());
        }
        String job = services.submit(FraudDetectionJob.class.getName(), args);
        try {
            Sample sample = measureJob(name, job, "transactions");
            if (afterMeasure != null) {
                afterMeasure.observe(job);
            }
            return sample;
        } finally {
            services.cancel(job);
        }
    }

    /** Measurement 4: the same two rules in Flink SQL, RocksDB, exactly-once, 1 s checkpoints. */
    Sample fraudSql() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String output = services.createTopic("bench.sql-alerts", 2);
        String job =
                services.submit(
                        FraudRulesSql.class.getName(),
                        List.of(
                                "--bootstrap",
                                services.kafka.bootstrapServers(),
                                "--registry",
                                services.registry.url(),
                                "--input",
                                input,
                                "--output",
                                output,
                                "--group",
                                "sql-" + run,
                                "--guarantee",
                                "EXACTLY_ONCE",
                                "--transactional-id-prefix",
                                "sql-" + run,
                                "--state-backend",
                                "rocksdb",
                                "--checkpoint-interval",
                                "1000",
                                "--checkpoint-dir",
                                services.checkpointDir("sql-" + run),
                                "--velocity-window-seconds",
                                VELOCITY_WINDOW_SECONDS));
        try {
            return measureJob(
                    "Flink SQL rules RocksDB exactly-once @ "
                            + Report.interval(FRAUD_CHECKPOINT_INTERVAL_MS),
                    job,
                    "transactions");
        } finally {
            services.cancel(job);
            services.deleteTopics(output);
        }
    }

    private Sample measureJob(String name, String job, String sourceVertex) throws Exception {
        FlinkRest rest = services.rest();
        FlinkRest.MetricRef metric = null;
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (metric == null) {
            metric = rest.findMetric(job, sourceVertex, "Source__.*\\.numRecordsOut");
            if (metric == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "No numRecordsOut metric of source '" + sourceVertex + "' in " + job);
                }
                services.checkHealthy(job);
                Thread.sleep(500);
            }
        }
        FlinkRest.MetricRef source = metric;
        return ThroughputMeter.measure(
                name,
                () -> (long) rest.sum(source),
                records,
                services.taskManagerPid(),
                timeout,
                () -> services.checkHealthy(job));
    }

    /** Called with a job id while the job runs. */
    interface JobObserver {
        void observe(String jobId) throws Exception;
    }
}
