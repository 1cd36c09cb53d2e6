package io.pipelinekit.bench;

/**
 * One measured run: records per second in the steady window (10% to 90% of the input, so start-up
 * and drain are left out), records per CPU-second of the process doing the work in that window, and
 * the process's peak resident memory during the run.
 */
record Sample(String label, long records, double seconds, double cpuSeconds, long peakRssBytes) {

    double recordsPerSecond() {
        return seconds > 0 ? records / seconds : Double.NaN;
    }

    /** Throughput per core: records per CPU-second of the worker process. */
    double recordsPerCpuSecond() {
        return cpuSeconds > 0 ? records / cpuSeconds : Double.NaN;
    }
}
