package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * A reproducible schedule of faults: the same seed and settings always give the same faults,
 * delays, downtimes and targets, so a failing chaos run can be replayed with {@code
 * -Dchaos.seed=<seed>}.
 *
 * <pre>{@code
 * FaultPlan plan =
 *         FaultPlan.builder()
 *                 .seed(FaultPlan.seedFromSystemProperty(42))
 *                 .faults(6)
 *                 .kinds(FaultKind.TASK_MANAGER_KILL, FaultKind.KAFKA_BROKER_RESTART)
 *                 .spacing(Duration.ofSeconds(3), Duration.ofSeconds(8))
 *                 .downtime(Duration.ofSeconds(1), Duration.ofSeconds(4))
 *                 .build();
 * System.out.println(plan.toTable());
 * }</pre>
 *
 * <p>When there are at least as many faults as kinds, every kind occurs at least once (the first
 * faults are the kinds in a seeded random order); the rest are drawn at random.
 */
@PublicEvolving
public final class FaultPlan {

    /** The system property that {@link #seedFromSystemProperty(long)} reads. */
    public static final String SEED_PROPERTY = "chaos.seed";

    private final long seed;
    private final Set<FaultKind> kinds;
    private final List<Fault> faults;

    private FaultPlan(long seed, Set<FaultKind> kinds, List<Fault> faults) {
        this.seed = seed;
        this.kinds = Collections.unmodifiableSet(EnumSet.copyOf(kinds));
        this.faults = List.copyOf(faults);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The seed of {@code -Dchaos.seed} if set ({@code random} for a new one each run), else {@code
     * defaultSeed}: tests use a fixed seed by default and can be replayed or varied from the
     * command line.
     */
    public static long seedFromSystemProperty(long defaultSeed) {
        String value = System.getProperty(SEED_PROPERTY);
        if (value == null || value.isBlank()) {
            return defaultSeed;
        }
        if (value.trim().equalsIgnoreCase("random")) {
            return new Random().nextLong();
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + SEED_PROPERTY + "=" + value + " is not a number (or 'random')", e);
        }
    }

    public long seed() {
        return seed;
    }

    /** The kinds the plan draws from. */
    public Set<FaultKind> kinds() {
        return kinds;
    }

    /** The faults in injection order. */
    public List<Fault> faults() {
        return faults;
    }

    /** The sum of all delays and downtimes: the least time the plan takes to run. */
    public Duration minimumDuration() {
        Duration total = Duration.ZERO;
        for (Fault fault : faults) {
            total = total.plus(fault.delay()).plus(fault.downtime());
        }
        return total;
    }

    /** How to run this exact plan again. */
    public String replayHint() {
        return "replay with -D" + SEED_PROPERTY + "=" + seed;
    }

    /** The plan as a Markdown table. */
    public String toTable() {
        StringBuilder out = new StringBuilder();
        out.append("Fault plan, seed ")
                .append(seed)
                .append(" (")
                .append(replayHint())
                .append("):\n\n");
        out.append("| # | after | kind | downtime | target |\n");
        out.append("|---|---|---|---|---|\n");
        for (Fault fault : faults) {
            out.append("| ")
                    .append(fault.number())
                    .append(" | ")
                    .append(Reports.seconds(fault.delay()))
                    .append(" | ")
                    .append(fault.kind())
                    .append(" | ")
                    .append(fault.kind().hasDowntime() ? Reports.seconds(fault.downtime()) : "-")
                    .append(" | ")
                    .append(fault.target())
                    .append(" |\n");
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FaultPlan
                && seed == ((FaultPlan) o).seed
                && kinds.equals(((FaultPlan) o).kinds)
                && faults.equals(((FaultPlan) o).faults);
    }

    @Override
    public int hashCode() {
        return Objects.hash(seed, kinds, faults);
    }

    @Override
    public String toString() {
        return "FaultPlan(seed " + seed + ", " + faults.size() + " faults: " + faults + ")";
    }

    /** Builder of {@link FaultPlan}. */
    @PublicEvolving
    public static final class Builder {
        private Long seed;
        private int faults = -1;
        private final EnumSet<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        private Duration minSpacing = Duration.ofSeconds(3);
        private Duration maxSpacing = Duration.ofSeconds(8);
        private Duration minDowntime = Duration.ofSeconds(1);
        private Duration maxDowntime = Duration.ofSeconds(5);

        private Builder() {}

        /** The random seed; required (see {@link #seedFromSystemProperty(long)}). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** How many faults to inject; required, at least 1. */
        public Builder faults(int count) {
            this.faults = count;
            return this;
        }

        /** The kinds to draw from (adds to earlier calls); at least one is required. */
        public Builder kinds(FaultKind... kinds) {
            Objects.requireNonNull(kinds, "kinds");
            for (FaultKind kind : kinds) {
                this.kinds.add(Objects.requireNonNull(kind, "kind"));
            }
            return this;
        }

        /** Like {@link #kinds(FaultKind...)}. */
        public Builder kinds(Set<FaultKind> kinds) {
            return kinds(Objects.requireNonNull(kinds, "kinds").toArray(new FaultKind[0]));
        }

        /**
         * Wait before each fault, drawn uniformly from {@code [min, max]} and counted from when the
         * previous fault was healed (default 3 to 8 s).
         */
        public Builder spacing(Duration min, Duration max) {
            this.minSpacing = Objects.requireNonNull(min, "min spacing");
            this.maxSpacing = Objects.requireNonNull(max, "max spacing");
            return this;
        }

        /**
         * How long faults with a downtime last (broker down, S3 unavailable, task manager missing),
         * drawn uniformly from {@code [min, max]} (default 1 to 5 s).
         */
        public Builder downtime(Duration min, Duration max) {
            this.minDowntime = Objects.requireNonNull(min, "min downtime");
            this.maxDowntime = Objects.requireNonNull(max, "max downtime");
            return this;
        }

        public FaultPlan build() {
            List<String> problems = new ArrayList<>();
            if (seed == null) {
                problems.add(
                        "seed(...) is missing: e.g. seed(FaultPlan.seedFromSystemProperty(42)),"
                                + " so that a failing run can be replayed");
            }
            if (faults < 1) {
                problems.add(
                        faults == -1
                                ? "faults(n) is missing: how many faults to inject"
                                : "faults must be >= 1, was " + faults);
            }
            if (kinds.isEmpty()) {
                problems.add(
                        "kinds(...) is missing: which of "
                                + Arrays.toString(FaultKind.values())
                                + " to inject");
            }
            range("spacing", minSpacing, maxSpacing, problems);
            range("downtime", minDowntime, maxDowntime, problems);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "FaultPlan is not complete:\n  - " + String.join("\n  - ", problems));
            }
            Random random = new Random(seed);
            List<FaultKind> order = new ArrayList<>(kinds);
            List<FaultKind> chosen = new ArrayList<>();
            if (faults >= order.size()) {
                Collections.shuffle(order, random);
                chosen.addAll(order);
            }
            while (chosen.size() < faults) {
                chosen.add(order.get(random.nextInt(order.size())));
            }
            List<Fault> planned = new ArrayList<>();
            for (int i = 0; i < faults; i++) {
                FaultKind kind = chosen.get(i);
                Duration delay = draw(random, minSpacing, maxSpacing);
                Duration downtime = draw(random, minDowntime, maxDowntime);
                int target = random.nextInt(1 << 16);
                planned.add(
                        new Fault(
                                i + 1,
                                kind,
                                delay,
                                kind.hasDowntime() ? downtime : Duration.ZERO,
                                target));
            }
            return new FaultPlan(seed, kinds, planned);
        }

        private static void range(String what, Duration min, Duration max, List<String> problems) {
            if (min.isNegative()) {
                problems.add(what + " minimum must not be negative, was " + min);
            }
            if (max.compareTo(min) < 0) {
                problems.add(
                        what
                                + " maximum "
                                + Reports.seconds(max)
                                + " is below its minimum "
                                + Reports.seconds(min));
            }
        }

        /**
         * Uniform in [min, max] at millisecond resolution, same on every JDK (java.util.Random).
         */
        private static Duration draw(Random random, Duration min, Duration max) {
            long span = max.toMillis() - min.toMillis();
            long offset = span <= 0 ? 0 : (long) (random.nextDouble() * (span + 1));
            return Duration.ofMillis(min.toMillis() + Math.min(offset, span));
        }
    }
}
