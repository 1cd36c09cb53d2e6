package io.pipelinekit.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Samples a run's progress (records done), the worker process's CPU time and memory every 200 ms
 * until all input is done, and turns the window between 10% and 90% of the input into a {@link
 * Sample}, so that start-up, warm-up and the drain at the end do not count.
 */
final class ThroughputMeter {

    private static final long POLL_MILLIS = 200;

    private ThroughputMeter() {}

    /** Something to check while waiting, e.g. that the job has not failed. */
    interface HealthCheck {
        void check();
    }

    static Sample measure(
            String label,
            LongSupplier progress,
            long expected,
            long workerPid,
            Duration timeout,
            HealthCheck health)
            throws InterruptedException {
        long low = expected / 10;
        long high = expected - expected / 10;
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long lastPrint = start;
        long lowCount = -1;
        long lowTime = 0;
        double lowCpu = 0;
        long peakRss = ProcessProbe.rssBytes(workerPid);
        while (true) {
            long count = progress.getAsLong();
            long now = System.nanoTime();
            double cpu = ProcessProbe.cpuSeconds(workerPid);
            peakRss = Math.max(peakRss, ProcessProbe.rssBytes(workerPid));
            if (lowCount < 0 && count >= low) {
                lowCount = count;
                lowTime = now;
                lowCpu = cpu;
            }
            if (lowCount >= 0 && count >= high && count > lowCount) {
                Sample sample =
                        new Sample(
                                label,
                                count - lowCount,
                                (now - lowTime) / 1e9,
                                cpu - lowCpu,
                                peakRss);
                System.out.printf(
                        Locale.ROOT,
                        "    %-34s %,10.0f records/s  %,10.0f records/CPU-s  peak RSS %s%n",
                        label,
                        sample.recordsPerSecond(),
                        sample.recordsPerCpuSecond(),
                        Stats.mebibytes(peakRss));
                return sample;
            }
            if (now > deadline) {
                throw new IllegalStateException(
                        label
                                + ": only "
                                + count
                                + " of "
                                + expected
                                + " records after "
                                + timeout
                                + "; raise --timeout or lower --records");
            }
            if (now - lastPrint > 5_000_000_000L) {
                lastPrint = now;
                System.out.printf(
                        Locale.ROOT,
                        "    %-34s %3d%% (%,d of %,d records, %.0f s)%n",
                        label,
                        count * 100 / expected,
                        Math.max(count, 0),
                        expected,
                        (now - start) / 1e9);
            }
            health.check();
            Thread.sleep(POLL_MILLIS);
        }
    }
}
