package io.pipelinekit.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** Medians, percentiles and number formatting for the report. */
final class Stats {

    private Stats() {}

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>();
        for (Double value : values) {
            if (value != null && !value.isNaN()) {
                sorted.add(value);
            }
        }
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(sorted);
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1
                ? sorted.get(middle)
                : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    static <T> double median(List<T> items, ToDoubleFunction<T> value) {
        List<Double> values = new ArrayList<>();
        for (T item : items) {
            values.add(value.applyAsDouble(item));
        }
        return median(values);
    }

    /** The {@code p}-th percentile (0..100) of {@code sorted} by the nearest-rank method. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** 12,345 or 1.23 with thousands separators; "-" for NaN. */
    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "-";
        }
        if (Math.abs(value) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value)
                ? "-"
                : String.format(Locale.ROOT, "%.2fx", value);
    }

    static String mebibytes(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%,d MiB", bytes / (1024 * 1024));
    }
}
