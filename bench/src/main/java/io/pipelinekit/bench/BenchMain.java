package io.pipelinekit.bench;

import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.TransactionGenerator;
import io.pipelinekit.testkit.postgres.PostgresDatabase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs the benchmarks and writes {@code bench/RESULTS.md}: {@code ./mvnw -Pbench} from the
 * repository root, with options in {@code -Dbench.args="..."} (see {@link #USAGE}).
 */
public final class BenchMain {

    static final String USAGE =
            "Options: --records 200000 (payments per throughput run) --repetitions 3 (A/B pairs)"
                    + " --cdc-products 100000 (x 5 warehouses) --only"
                    + " ceiling,guarantees,fraud,cdc,latency,memory,micro --timeout 10m"
                    + " --no-profile";

    private static final List<String> ALL_SUITES =
            List.of("ceiling", "guarantees", "fraud", "cdc", "latency", "memory", "micro");

    private final BenchOptions options;
    private final Report report;
    private final List<String> failures = new ArrayList<>();
    private BenchServices services;
    private Candidates candidates;
    private List<PaymentTransaction> payments;
    private double passthroughRate = Double.NaN;

    private BenchMain(BenchOptions options) {
        this.options = options;
        this.report = new Report(options.command());
    }

    public static void main(String[] args) throws Exception {
        BenchOptions options = BenchOptions.parse(args);
        int exit = 0;
        try {
            new BenchMain(options).run();
        } catch (Exception e) {
            e.printStackTrace();
            exit = 1;
        }
        System.exit(exit);
    }

    private void run() throws Exception {
        long start = System.nanoTime();
        machineFacts();
        say("starting Kafka (KRaft), PostgreSQL, a schema registry and a standalone Flink cluster");
        services =
                BenchServices.start(
                        Path.of(System.getProperty("pipelinekit.work.dir", "target/bench-work")),
                        options.jobsJar,
                        4);
        try {
            if (options.needsPayments()) {
                say("generating %,d payments", options.records);
                payments =
                        TransactionGenerator.builder()
                                .seed(2026)
                                .cards(Math.max(100, (int) (options.records / 100)))
                                .transactions((int) options.records)
                                .start(Instant.parse("2026-01-01T00:00:00Z"))
                                .meanGap(Duration.ofMillis(50))
                                .velocityBursts(200)
                                .amountSpikes(200)
                                .build()
                                .generate();
                String input = services.producePayments("bench.payments", payments);
                candidates = new Candidates(services, input, payments.size(), options.timeout);
            }
            for (String suite : options.suites) {
                say("== %s", suite);
                try {
                    runSuite(suite);
                } catch (Exception | AssertionError e) {
                    // One failed measurement must not cost the others: report it and go on.
                    say("%s failed: %s", suite, e);
                    e.printStackTrace(System.out);
                    failures.add(suite + ": " + e);
                    report.section(
                            "Failed: " + suite,
                            "This measurement failed and has no result: `"
                                    + String.valueOf(e).replace('`', '\'')
                                    + "`");
                }
            }
        } finally {
            services.close();
        }
        String limits = "";
        Path notes = options.results.resolveSibling("LIMITS.md");
        if (Files.exists(notes)) {
            limits = Files.readString(notes);
        }
        report.write(options.results, limits);
        say(
                "wrote %s (%.1f min)",
                options.results.toAbsolutePath().normalize(), (System.nanoTime() - start) / 6e10);
        if (!failures.isEmpty()) {
            throw new IllegalStateException("Measurements failed: " + failures);
        }
    }

    private void runSuite(String suite) throws Exception {
        switch (suite) {
            case "ceiling":
                ceiling();
                break;
            case "guarantees":
                guarantees();
                break;
            case "fraud":
                fraud();
                break;
            case "cdc":
                cdc();
                break;
            case "latency":
                latency();
                break;
            case "memory":
                memory();
                break;
            case "micro":
                report.section("Micro-benchmarks (JMH)", MicroBenchmarks.run(options.quick));
                break;
            default:
                throw new IllegalArgumentException("Unknown suite " + suite);
        }
    }

    private void machineFacts() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        String cpu = "unknown CPU";
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                cpu = line.substring(line.indexOf(':') + 1).trim();
                break;
            }
        }
        long memKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                memKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        report.machine(cores + " cores (" + cpu + ")");
        report.machine(String.format(Locale.ROOT, "%.0f GiB RAM", memKb / 1024.0 / 1024.0));
        report.machine(
                "JDK "
                        + System.getProperty("java.version")
                        + " ("
                        + System.getProperty("java.vm.name")
                        + ")");
        report.machine(
                "Kafka broker, PostgreSQL, schema registry, Flink JobManager and one TaskManager (3"
                    + " GiB process, 4 slots of 256 MiB managed memory) on the same machine; every"
                    + " job at parallelism 1");
        report.machine(
                String.format(
                        Locale.ROOT,
                        "%,d payments (%,d cards) per throughput run, %d alternating repetitions",
                        options.records,
                        Math.max(100, options.records / 100),
                        options.repetitions));
        say("machine: %d cores, JDK %s", cores, System.getProperty("java.version"));
    }

    /** Measurements 1 and 2. */
    private void ceiling() throws Exception {
        Comparison perCore =
                new Comparison(
                        "Flink passthrough vs plain Kafka clients, per core",
                        "ceiling",
                        "passthrough at-least-once",
                        Comparison.Basis.PER_CORE,
                        0.5);
        Comparison wall =
                new Comparison(
                        "Flink passthrough vs plain Kafka clients, wall clock",
                        "ceiling",
                        "passthrough at-least-once",
                        Comparison.Basis.WALL,
                        Double.NaN);
        for (int i = 0; i < options.repetitions; i++) {
            Sample ceiling = candidates.ceiling();
            perCore.baselineRuns.add(ceiling);
            wall.baselineRuns.add(ceiling);
            Sample passthrough = candidates.passthrough("AT_LEAST_ONCE", 1000);
            perCore.candidateRuns.add(passthrough);
            wall.candidateRuns.add(passthrough);
        }
        passthroughRate = wall.candidateMedian();
        report.add(perCore);
        report.add(wall);
        report.section(
                "1-2. Ceiling and passthrough",
                "The ceiling is one thread of plain Kafka clients doing the passthrough's work"
                        + " (consume, decode the Confluent wire format, map, encode, produce) in a"
                        + " JVM of its own; the passthrough is a hand-written KafkaSource -> map ->"
                        + " KafkaSink job (at-least-once, checkpoints every 1 s). Per core ="
                        + " records per CPU-second of the process doing the work (the ceiling's"
                        + " JVM, the TaskManager).\n\n"
                        + Report.table(List.of(perCore, wall)));
        profileIfMissed(perCore, () -> candidates.passthrough("AT_LEAST_ONCE", 1000));
    }

    /** Measurement 3. */
    private void guarantees() throws Exception {
        List<Comparison> all = new ArrayList<>();
        for (long interval : new long[] {100, 1000, 10_000}) {
            Comparison comparison =
                    new Comparison(
                            "exactly-once vs at-least-once @ " + Report.interval(interval),
                            "at-least-once",
                            "exactly-once",
                            Comparison.Basis.WALL,
                            interval == 1000 ? 0.9 : Double.NaN);
            for (int i = 0; i < options.repetitions; i++) {
                comparison.baselineRuns.add(candidates.passthrough("AT_LEAST_ONCE", interval));
                comparison.candidateRuns.add(candidates.passthrough("EXACTLY_ONCE", interval));
            }
            all.add(comparison);
            report.add(comparison);
        }
        report.section(
                "3. Exactly-once vs at-least-once",
                "The passthrough job with each delivery guarantee at three checkpoint intervals."
                        + " Exactly-once writes in Kafka transactions committed on each checkpoint;"
                        + " throughput is records taken from the input per second (visibility"
                        + " latency is measured in section 6).\n\n"
                        + Report.table(all));
        profileIfMissed(all.get(1), () -> candidates.passthrough("EXACTLY_ONCE", 1000));
    }

    /** Measurement 4. */
    private void fraud() throws Exception {
        Comparison vsPassthrough =
                new Comparison(
                        "fraud-detection (RocksDB, exactly-once) vs passthrough",
                        "passthrough at-least-once",
                        "fraud-detection RocksDB",
                        Comparison.Basis.WALL,
                        0.3);
        Comparison vsSql =
                new Comparison(
                        "fraud-detection vs the same rules in Flink SQL",
                        "Flink SQL RocksDB",
                        "fraud-detection RocksDB",
                        Comparison.Basis.WALL,
                        1.0);
        Comparison rocksVsHeap =
                new Comparison(
                        "fraud-detection RocksDB vs heap state",
                        "fraud-detection heap",
                        "fraud-detection RocksDB",
                        Comparison.Basis.WALL,
                        Double.NaN);
        for (int i = 0; i < options.repetitions; i++) {
            Sample passthrough = candidates.passthrough("AT_LEAST_ONCE", 1000);
            Sample rocks = candidates.fraud(true);
            Sample heap = candidates.fraud(false);
            Sample sql = candidates.fraudSql();
            vsPassthrough.baselineRuns.add(passthrough);
            vsPassthrough.candidateRuns.add(rocks);
            vsSql.baselineRuns.add(sql);
            vsSql.candidateRuns.add(rocks);
            rocksVsHeap.baselineRuns.add(heap);
            rocksVsHeap.candidateRuns.add(rocks);
        }
        report.add(vsPassthrough);
        report.add(vsSql);
        report.add(rocksVsHeap);
        report.section(
                "4. fraud-detection",
                "The shipped fraud-detection job (velocity and amount-anomaly rules in force,"
                        + " exactly-once alerts, checkpoints every "
                        + Report.interval(Candidates.FRAUD_CHECKPOINT_INTERVAL_MS)
                        + ") against the passthrough (at-least-once, 1 s), against the same two"
                        + " rules written in Flink SQL (OVER windows per card, RocksDB,"
                        + " exactly-once, same checkpoints, `jobs/FraudRulesSql.java`), and on heap"
                        + " state. Each repetition runs passthrough, fraud RocksDB, fraud heap and"
                        + " SQL in turn.\n\n"
                        + Report.table(List.of(vsPassthrough, vsSql, rocksVsHeap)));
        profileIfMissed(vsPassthrough, () -> candidates.fraud(true));
        profileIfMissed(vsSql, () -> candidates.fraud(true));
    }

    /** Measurement 5. */
    private void cdc() throws Exception {
        CdcBenchmarks cdc = new CdcBenchmarks(services, options.timeout);
        int warehouses = 5;
        long rows = (long) options.cdcProducts * warehouses;
        say("seeding %,d stock rows", rows);
        PostgresDatabase source = cdc.seed(options.cdcProducts, warehouses);
        Comparison snapshot =
                new Comparison(
                        "inventory-sync CDC snapshot vs raw JDBC scan",
                        "raw JDBC scan",
                        "CDC snapshot",
                        Comparison.Basis.WALL,
                        0.5);
        for (int i = 0; i < options.repetitions; i++) {
            snapshot.baselineRuns.add(cdc.jdbcScan(source, rows));
            snapshot.candidateRuns.add(cdc.cdcSnapshot(source, rows));
        }
        report.add(snapshot);
        profileIfMissed(snapshot, () -> cdc.cdcSnapshot(source, rows));
        source.drop();

        int streamingProducts = Math.max(1000, options.cdcProducts / 20);
        PostgresDatabase live = cdc.seed(streamingProducts, warehouses);
        List<CdcBenchmarks.Streaming> streaming = new ArrayList<>();
        Duration window = options.quick ? Duration.ofSeconds(15) : Duration.ofSeconds(30);
        for (double rate : new double[] {250, 1000, 0}) {
            streaming.add(cdc.streaming(live, rate, window));
        }
        live.drop();
        StringBuilder table =
                new StringBuilder(
                        "| offered (target) | offered (achieved) | applied to the target |"
                                + " applied / offered | backlog at the end |\n"
                                + "|---|---:|---:|---:|---:|\n");
        for (CdcBenchmarks.Streaming s : streaming) {
            table.append("| ")
                    .append(
                            s.targetRate() > 0
                                    ? Stats.number(s.targetRate()) + "/s"
                                    : "max (one client)")
                    .append(" | ")
                    .append(Stats.number(s.offeredPerSecond()))
                    .append("/s | ")
                    .append(Stats.number(s.appliedPerSecond()))
                    .append("/s | ")
                    .append(Stats.ratio(s.ratio()))
                    .append(" | ")
                    .append(s.backlog())
                    .append(" |\n");
        }
        report.section(
                "5. inventory-sync: snapshot and streaming",
                String.format(
                                Locale.ROOT,
                                "Snapshot of %,d stock rows: the job in CAPTURE mode (CDC snapshot"
                                    + " into its exactly-once changelog topic, checkpoints every 1"
                                    + " s) against one `SELECT * FROM stock` over JDBC (fetch size"
                                    + " 10,000, every column read), both over the 10%%-90%%"
                                    + " window.%n%n",
                                rows)
                        + Report.table(List.of(snapshot))
                        + String.format(
                                Locale.ROOT,
                                "%nStreaming: the whole job (capture, changelog, stock levels into"
                                    + " a target database) on %,d rows, while one client applies"
                                    + " single-row stock changes (movements, new and deleted rows)"
                                    + " at a target rate; applied = the job's changesApplied"
                                    + " counter over %d s after 5 s of warm-up.%n%n",
                                (long) streamingProducts * warehouses,
                                window.toSeconds())
                        + table);
    }

    /** Measurement 6. */
    private void latency() throws Exception {
        if (Double.isNaN(passthroughRate)) {
            passthroughRate = candidates.passthrough("AT_LEAST_ONCE", 1000).recordsPerSecond();
        }
        double rate = Math.floor(passthroughRate / 2 / 100) * 100;
        LatencyProbe probe = new LatencyProbe(services, payments.subList(0, 10_000));
        Duration duration = options.quick ? Duration.ofSeconds(15) : Duration.ofSeconds(30);
        List<LatencyProbe.Result> results = new ArrayList<>();
        results.add(probe.run("AT_LEAST_ONCE", 1000, rate, duration));
        results.add(probe.run("EXACTLY_ONCE", 1000, rate, duration));
        results.add(probe.run("EXACTLY_ONCE", 100, rate, duration));
        StringBuilder table =
                new StringBuilder(
                        "| guarantee | checkpoints | offered | achieved | records | p50 | p99 |"
                                + " max |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (LatencyProbe.Result r : results) {
            table.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | every %s | %,.0f/s | %,.0f/s | %,d | %d ms | %d ms | %d ms |%n",
                            r.guarantee().toLowerCase(Locale.ROOT).replace('_', '-'),
                            Report.interval(r.checkpointMillis()),
                            r.offeredPerSecond(),
                            r.achievedPerSecond(),
                            r.measured(),
                            r.p50(),
                            r.p99(),
                            r.max()));
        }
        LatencyProbe.Result atLeastOnce = results.get(0);
        report.goal(
                "at-least-once p99 latency at half the maximum load",
                atLeastOnce.p99() + " ms",
                (atLeastOnce.p99() <= 250 ? "met" : "**missed**") + " (<= 250 ms)");
        report.section(
                "6. End-to-end latency",
                String.format(
                                Locale.ROOT,
                                "The passthrough job fed live at half its measured maximum (%,.0f"
                                        + " of %,.0f records/s); latency = when a consumer"
                                        + " (read_committed for exactly-once) receives the output"
                                        + " minus the payment's event time, set when it was"
                                        + " produced; the first 5 s are warm-up.%n%n",
                                rate,
                                passthroughRate)
                        + table);
    }

    /** Measurement 7. */
    private void memory() throws Exception {
        long activeKeys = payments.stream().map(PaymentTransaction::getCardId).distinct().count();
        StringBuilder table =
                new StringBuilder(
                        "| job | TaskManager peak RSS | checkpointed state | active keys (cards) |"
                                + " state bytes per key |\n|---|---:|---:|---:|---:|\n");
        services.restartFlink();
        candidates.passthrough("AT_LEAST_ONCE", 1000);
        table.append("| passthrough at-least-once | ")
                .append(Stats.mebibytes(ProcessProbe.peakRssBytes(services.taskManagerPid())))
                .append(" | - | - | - |\n");
        for (boolean rocksDb : new boolean[] {true, false}) {
            services.restartFlink();
            long[] state = new long[1];
            candidates.fraud(
                    rocksDb,
                    job -> {
                        long deadline = System.nanoTime() + 60_000_000_000L;
                        long completed = services.rest().checkpoints(job)[0];
                        // The next checkpoint after the input is done holds every card.
                        while (services.rest().checkpoints(job)[0] < completed + 2
                                && System.nanoTime() < deadline) {
                            Thread.sleep(200);
                        }
                        state[0] = services.rest().checkpoints(job)[1];
                    });
            table.append("| fraud-detection ")
                    .append(rocksDb ? "RocksDB" : "heap")
                    .append(" | ")
                    .append(Stats.mebibytes(ProcessProbe.peakRssBytes(services.taskManagerPid())))
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%,d bytes", state[0]))
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", activeKeys))
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%,.0f", (double) state[0] / activeKeys))
                    .append(" |\n");
        }
        report.section(
                "7. Memory",
                "Peak resident memory (VmHWM) of a fresh TaskManager JVM (3 GiB process size,"
                        + " 1 GiB managed memory) over one run of the job, and the full size of"
                        + " the job's latest checkpoint once every payment is scored, per card that"
                        + " has state (the fraud job keeps each card's recent transactions).\n\n"
                        + table);
    }

    private void profileIfMissed(Comparison comparison, ProfiledRun run) {
        if (!options.profile || !comparison.hasTarget() || comparison.met()) {
            return;
        }
        try {
            say("profiling '%s' (target missed) with JFR", comparison.candidate);
            Path recording =
                    Files.createDirectories(services.workDir.resolve("profiles"))
                            .resolve(
                                    comparison.candidate.replaceAll("[^A-Za-z0-9]+", "-") + ".jfr");
            long pid = services.taskManagerPid();
            JfrProfile.start(pid, recording);
            try {
                run.run();
            } finally {
                JfrProfile.stop(pid);
            }
            report.section(
                    "Profile: " + comparison.candidate + " (" + comparison.title + ")",
                    "A JFR recording (settings=profile) of the TaskManager over one more run of"
                            + " the candidate; CPU samples by the top frame's component and"
                            + " method.\n\n"
                            + JfrProfile.summarize(recording, 15));
        } catch (Exception e) {
            System.out.println("    (profiling failed: " + e + ")");
        }
    }

    /** A run to repeat under the profiler. */
    interface ProfiledRun {
        Sample run() throws Exception;
    }

    static void say(String format, Object... args) {
        System.out.println("[bench] " + String.format(Locale.ROOT, format, args));
    }

    /** Command-line options. */
    static final class BenchOptions {
        long records = 200_000;
        int repetitions = 3;
        int cdcProducts = 100_000;
        Duration timeout = Duration.ofMinutes(10);
        boolean profile = true;
        boolean quick;
        Set<String> suites = new LinkedHashSet<>(ALL_SUITES);
        Path jobsJar;
        Path results = Path.of("RESULTS.md");
        final List<String> given = new ArrayList<>();

        static BenchOptions parse(String[] args) {
            BenchOptions options = new BenchOptions();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (arg) {
                    case "--records":
                        options.records = Long.parseLong(value.replace("_", ""));
                        i++;
                        break;
                    case "--repetitions":
                        options.repetitions = Integer.parseInt(value);
                        i++;
                        break;
                    case "--cdc-products":
                        options.cdcProducts = Integer.parseInt(value.replace("_", ""));
                        i++;
                        break;
                    case "--timeout":
                        options.timeout = Duration.parse("PT" + value.toUpperCase(Locale.ROOT));
                        i++;
                        break;
                    case "--only":
                        options.suites = new LinkedHashSet<>();
                        for (String suite : value.split(",")) {
                            if (!ALL_SUITES.contains(suite.trim())) {
                                throw new IllegalArgumentException(
                                        "Unknown suite '" + suite + "'. " + USAGE);
                            }
                            options.suites.add(suite.trim());
                        }
                        i++;
                        break;
                    case "--quick":
                        options.quick = true;
                        break;
                    case "--no-profile":
                        options.profile = false;
                        break;
                    case "--jobs-jar":
                        options.jobsJar = Path.of(value);
                        i++;
                        continue;
                    case "--results":
                        options.results = Path.of(value);
                        i++;
                        continue;
                    default:
                        throw new IllegalArgumentException(
                                "Unknown option '" + arg + "'. " + USAGE);
                }
                options.given.add(arg);
                if (!arg.equals("--quick") && !arg.equals("--no-profile")) {
                    options.given.add(value);
                }
            }
            if (options.jobsJar == null || !Files.exists(options.jobsJar)) {
                throw new IllegalArgumentException(
                        "The job jar " + options.jobsJar + " does not exist: run ./mvnw -Pbench");
            }
            if (options.records < 1000 || options.repetitions < 1) {
                throw new IllegalArgumentException(
                        "--records must be >= 1000 and --repetitions >= 1. " + USAGE);
            }
            return options;
        }

        boolean needsPayments() {
            for (String suite : suites) {
                if (!suite.equals("cdc") && !suite.equals("micro")) {
                    return true;
                }
            }
            return false;
        }

        String command() {
            return given.isEmpty()
                    ? "./mvnw -Pbench"
                    : "./mvnw -Pbench -Dbench.args=\"" + String.join(" ", given) + "\"";
        }
    }
}
