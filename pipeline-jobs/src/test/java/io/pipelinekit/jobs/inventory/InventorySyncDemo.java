package io.pipelinekit.jobs.inventory;

import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.kafka.KafkaService;
import io.pipelinekit.testkit.postgres.PostgresDatabase;
import io.pipelinekit.testkit.postgres.PostgresService;
import io.pipelinekit.testkit.registry.EmbeddedSchemaRegistry;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.NewTopic;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one-command demo: inventory-sync end to end on embedded services (PostgreSQL source and
 * target databases, a Kafka broker, a schema registry, S3Proxy for checkpoints, a local Flink
 * cluster), with a seeded catalogue and live stock movements, printing progress and, at the end,
 * the reconciliation of source and target.
 *
 * <pre>
 * ./mvnw -Pdemo                               # 60 s of live changes
 * ./mvnw -Pdemo -Ddemo.args="--duration 5m --products 20000 --rate 300"
 * </pre>
 */
public final class InventorySyncDemo {

    private static final java.nio.file.Path REPORT =
            java.nio.file.Paths.get("target", "demo-report.txt");

    private final Duration duration;
    private final int products;
    private final int warehouses;
    private final int rate;
    private final long started = System.nanoTime();

    private InventorySyncDemo(Duration duration, int products, int warehouses, int rate) {
        this.duration = duration;
        this.products = products;
        this.warehouses = warehouses;
        this.rate = rate;
    }

    public static void main(String[] args) throws Exception {
        Duration duration = Duration.ofSeconds(60);
        int products = 10_000;
        int warehouses = 5;
        int rate = 200;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--duration":
                    duration = parseDuration(args[i + 1]);
                    break;
                case "--products":
                    products = Integer.parseInt(args[i + 1]);
                    break;
                case "--warehouses":
                    warehouses = Integer.parseInt(args[i + 1]);
                    break;
                case "--rate":
                    rate = Integer.parseInt(args[i + 1]);
                    break;
                default:
                    throw new IllegalArgumentException(
                            "Unknown option "
                                    + args[i]
                                    + "; use --duration 60s --products 10000 --warehouses 5"
                                    + " --rate 200");
            }
        }
        java.nio.file.Files.deleteIfExists(REPORT);
        int exit = new InventorySyncDemo(duration, products, warehouses, rate).run();
        TestServices.stopAll();
        System.exit(exit);
    }

    private int run() throws Exception {
        say(
                "inventory-sync demo: %,d products x %d warehouses, %d changes/s for %s",
                products, warehouses, rate, format(duration));
        say("starting PostgreSQL, Kafka (KRaft), S3Proxy, a schema registry and Flink ...");
        PostgresService postgres = TestServices.postgres();
        KafkaService kafka = TestServices.kafka();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().build().start();
        FlinkTestCluster flink =
                FlinkTestCluster.builder()
                        // Hadoop's S3 file system touches the job's class loader at JVM exit.
                        .configuration(
                                new Configuration()
                                        .set(CoreOptions.CHECK_LEAKED_CLASSLOADER, false))
                        .slotsPerTaskManager(4)
                        .s3Checkpoints(TestServices::s3)
                        .build()
                        .start();
        say(
                "services up: PostgreSQL %s:%d, Kafka %s, checkpoints in %s",
                postgres.host(),
                postgres.port(),
                kafka.bootstrapServers(),
                flink.checkpointDirectory());

        PostgresDatabase source = postgres.createDatabase("inventory");
        PostgresDatabase target = postgres.createDatabase("warehouse");
        InventoryWorkload workload =
                new InventoryWorkload(source.jdbcUrl(), source.username(), source.password(), 7);
        long seedStart = System.nanoTime();
        workload.seed(products, warehouses);
        long rows = (long) products * warehouses;
        say(
                "seeded source database '%s': %,d stock rows in %.1f s",
                source.name(), rows, (System.nanoTime() - seedStart) / 1e9);

        String slot = "inventory_sync_demo";
        Configuration config = new Configuration();
        config.setString("kafka.bootstrap-servers", kafka.bootstrapServers());
        config.setString("kafka.source.group-id", "inventory-sync-demo");
        config.setString("schema-registry.url", registry.url());
        config.setString("checkpoint.storage", flink.checkpointDirectory());
        config.setString("checkpoint.interval", "2 s");
        config.setString("dlq.topic", "inventory.dlq");
        config.set(InventorySyncOptions.SLOT_NAME, slot);
        config.set(InventorySyncOptions.SOURCE_URL, source.jdbcUrl());
        config.set(InventorySyncOptions.SOURCE_USERNAME, source.username());
        config.set(InventorySyncOptions.SOURCE_PASSWORD, source.password());
        config.set(InventorySyncOptions.TARGET_URL, target.jdbcUrl());
        config.set(InventorySyncOptions.TARGET_USERNAME, target.username());
        config.set(InventorySyncOptions.TARGET_PASSWORD, target.password());
        config.set(InventorySyncOptions.RECONCILE_INTERVAL, Duration.ofSeconds(30));
        config.set(InventorySyncOptions.KNOWN_WAREHOUSES, workload.warehouses());
        kafka.createTopics(
                new NewTopic("inventory.changes", 4, (short) 1),
                new NewTopic("inventory.stock-levels", 4, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact")),
                new NewTopic("inventory.dlq", 1, (short) 1));

        StreamExecutionEnvironment env = flink.environment(2);
        InventorySyncJob.build(env, config);
        JobID job = flink.submit(env, InventorySyncJob.NAME).getJobID();
        flink.awaitRunning(job, Duration.ofMinutes(1));
        say("job %s running (parallelism 2, RocksDB, exactly-once checkpoints every 2 s)", job);

        AtomicBoolean stop = new AtomicBoolean();
        // Ctrl-C (and the SIGTERM Maven sends its child when it exits on Ctrl-C) stops the
        // workload and lets the demo drain and reconcile, instead of shutting the JVM down under
        // it; a second signal exits at once.
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(
                        new sun.misc.Signal(name),
                        signal -> {
                            if (!stop.compareAndSet(false, true)) {
                                Runtime.getRuntime().halt(130);
                            }
                        });
            } catch (IllegalArgumentException unsupported) {
                // Not on this platform: Ctrl-C ends the demo without the final report.
            }
        }

        Thread load =
                new Thread(
                        () -> {
                            long next = System.nanoTime();
                            while (!stop.get()) {
                                try {
                                    workload.applyChanges(1);
                                } catch (Exception e) {
                                    System.err.println("workload stopped: " + e);
                                    return;
                                }
                                next += 1_000_000_000L / rate;
                                long wait = next - System.nanoTime();
                                if (wait > 0) {
                                    sleep(wait / 1_000_000);
                                }
                            }
                        },
                        "workload");
        load.start();

        Reconciler reconciler = Reconciler.fromConfig(config);
        long lastChanges = 0;
        long lastTime = System.nanoTime();
        long end = System.nanoTime() + duration.toNanos();
        while (!stop.get() && System.nanoTime() < end) {
            sleep(2000);
            long changes = workload.changes();
            long now = System.nanoTime();
            double perSecond = (changes - lastChanges) / ((now - lastTime) / 1e9);
            lastChanges = changes;
            lastTime = now;
            Progress progress = progress(target, kafka);
            say(
                    "target %,7d rows (snapshot %s) | changes %,7d (%4.0f/s) | lag %s |"
                            + " checkpoints %3d | dead letters %d",
                    progress.targetRows,
                    progress.snapshotDone(rows) ? "done" : "running",
                    changes,
                    perSecond,
                    progress.lag(),
                    flink.completedCheckpoints(job),
                    progress.deadLetters);
        }
        stop.set(true);
        load.join();
        say(
                "workload stopped after %s: %s; waiting for the target to catch up ...",
                elapsed(), workload);

        ReconciliationReport report = reconciler.compare();
        long drainEnd = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!report.inSync() && System.nanoTime() < drainEnd) {
            sleep(1000);
            report = reconciler.compare();
        }
        print("");
        print(
                "Reconciliation: source database 'inventory'.stock vs target"
                        + " 'warehouse'.stock_levels");
        print(report.toTable().stripTrailing());
        print("(also in pipeline-jobs/" + REPORT + ")");
        flink.cancel(job, Duration.ofSeconds(30));
        flink.close();
        registry.close();
        try (Connection db = source.connect()) {
            ReplicationSlots.drop(db, slot);
        }
        workload.close();
        say(
                report.inSync()
                        ? "done: source and target agree (drift = 0)"
                        : "done: DRIFT between source and target, see the table above");
        return report.inSync() ? 0 : 1;
    }

    private static final class Progress {
        long targetRows;
        long lagMillis = -1;
        long deadLetters;

        boolean snapshotDone(long rows) {
            return targetRows >= rows * 9 / 10;
        }

        String lag() {
            return lagMillis < 0
                    ? "   -  "
                    : String.format(Locale.ROOT, "%5.1f s", lagMillis / 1000.0);
        }
    }

    /** Rows in the target, and lag = now - commit time of the newest change in the target. */
    private static Progress progress(PostgresDatabase target, KafkaService kafka) {
        Progress progress = new Progress();
        try (Connection db = target.connect();
                Statement statement = db.createStatement();
                ResultSet rs =
                        statement.executeQuery(
                                "SELECT count(*), (extract(epoch from now() - max(updated_at)) *"
                                        + " 1000)::bigint FROM stock_levels WHERE updated_at >"
                                        + " 'epoch'::timestamptz")) {
            rs.next();
            progress.targetRows = rs.getLong(1);
            progress.lagMillis = rs.getObject(2) == null ? -1 : rs.getLong(2);
        } catch (Exception e) {
            // The job creates the target tables; before that there is nothing to show.
        }
        try {
            progress.deadLetters = kafka.readCommitted("inventory.dlq").size();
        } catch (Exception e) {
            progress.deadLetters = -1;
        }
        return progress;
    }

    private void say(String format, Object... args) {
        print(
                String.format(
                        Locale.ROOT,
                        "[%s] %s",
                        elapsed(),
                        String.format(Locale.ROOT, format, args)));
    }

    /**
     * Prints a line to the console and the report file. After Ctrl-C, Maven (which runs this demo
     * in a child JVM and pumps its output) is gone: the line then goes to the terminal directly,
     * where there is one.
     */
    private static synchronized void print(String line) {
        System.out.println(line);
        if (System.out.checkError()) {
            try (java.io.FileWriter tty = new java.io.FileWriter("/dev/tty", true)) {
                tty.write(line + System.lineSeparator());
            } catch (java.io.IOException noTerminal) {
                // No terminal (e.g. CI): the report file has it.
            }
        }
        try {
            java.nio.file.Files.writeString(
                    REPORT,
                    line + System.lineSeparator(),
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            // The console has it.
        }
    }

    private String elapsed() {
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        return String.format(Locale.ROOT, "%02d:%02d", seconds / 60, seconds % 60);
    }

    private static String format(Duration d) {
        return d.toSeconds() % 60 == 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }

    private static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        return Duration.ofSeconds(Long.parseLong(t));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
