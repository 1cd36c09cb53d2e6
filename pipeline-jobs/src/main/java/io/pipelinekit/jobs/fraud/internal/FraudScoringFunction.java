package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterReporter;
import io.pipelinekit.jobs.fraud.Alerts;
import io.pipelinekit.jobs.fraud.rules.PastTransaction;
import io.pipelinekit.jobs.fraud.rules.Rule;
import io.pipelinekit.jobs.fraud.rules.RuleHit;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.fraud.FraudAlert;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Scores a card's transactions with the current rules (broadcast from the rule topic), in
 * event-time order: transactions wait in state until the watermark passes them, then each is
 * evaluated against the card's earlier transactions and joins the bounded history. Late
 * transactions (behind the watermark) go to {@link #LATE}, are counted, and are scored by the rules
 * without a time window.
 */
@Internal
public final class FraudScoringFunction
        extends KeyedBroadcastProcessFunction<String, PaymentTransaction, RuleUpdate, FraudAlert> {

    private static final Logger LOG = LoggerFactory.getLogger(FraudScoringFunction.class);

    private static final long serialVersionUID = 1L;

    public static final MapStateDescriptor<String, FraudRule> RULES =
            new MapStateDescriptor<>(
                    "fraud-rules", Types.STRING, new AvroTypeInfo<>(FraudRule.class));

    public static final OutputTag<PaymentTransaction> LATE =
            new OutputTag<>("late-transactions", new AvroTypeInfo<>(PaymentTransaction.class));

    private final int maxHistory;
    private final int trimBatch;
    private final Duration maxHistoryAge;
    private final Duration stateTtl;
    private final DeadLetterPolicy policy;

    /**
     * The card's recent transactions in (event time, id) order. A list state, so that scoring a
     * payment appends one entry (a RocksDB merge) instead of rewriting the whole history; entries
     * the rules can no longer see are dropped in batches of {@link #trimBatch}.
     */
    private transient ListState<PastTransaction> history;

    /** The history as release 0.1 kept it, one value per card; moved to {@link #history}. */
    private transient ValueState<List<PastTransaction>> legacyHistory;

    private transient MapState<Long, List<PaymentTransaction>> pending;
    private transient ValueState<Long> cleanupAt;
    private transient Map<String, Optional<Rule>> compiled;
    private transient Map<String, Counter> alertsByRule;
    private transient Counter scored;
    private transient Counter late;
    private transient Histogram evaluationNanos;
    private transient MetricGroup metrics;
    private transient DeadLetterReporter rejects;

    public FraudScoringFunction(
            int maxHistory, Duration maxHistoryAge, Duration stateTtl, DeadLetterPolicy policy) {
        this.maxHistory = maxHistory;
        this.trimBatch = Math.max(8, maxHistory / 4);
        this.maxHistoryAge = maxHistoryAge;
        this.stateTtl = stateTtl;
        this.policy = policy;
    }

    @Override
    public void open(OpenContext context) {
        StateTtlConfig ttl =
                StateTtlConfig.newBuilder(stateTtl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build();
        ListStateDescriptor<PastTransaction> historyDescriptor =
                new ListStateDescriptor<>(
                        "card-history-log", TypeInformation.of(PastTransaction.class));
        // TTL is per entry in a list: the heap backend's default background cleanup would check
        // every entry of five cards' lists on each state access, so one card per access here.
        // The cleanup timers remove the history in event time; TTL is the backstop.
        historyDescriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(stateTtl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupIncrementally(1, false)
                        .build());
        history = getRuntimeContext().getListState(historyDescriptor);
        ValueStateDescriptor<List<PastTransaction>> legacyDescriptor =
                new ValueStateDescriptor<>(
                        "card-history",
                        new ListTypeInfo<>(TypeInformation.of(PastTransaction.class)));
        legacyDescriptor.enableTimeToLive(ttl);
        legacyHistory = getRuntimeContext().getState(legacyDescriptor);
        ValueStateDescriptor<Long> cleanupDescriptor =
                new ValueStateDescriptor<>("history-cleanup-at", Types.LONG);
        cleanupDescriptor.enableTimeToLive(ttl);
        cleanupAt = getRuntimeContext().getState(cleanupDescriptor);
        pending =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "pending-by-event-time",
                                        Types.LONG,
                                        new ListTypeInfo<>(
                                                new AvroTypeInfo<>(PaymentTransaction.class))));
        compiled = new HashMap<>();
        alertsByRule = new HashMap<>();
        metrics = getRuntimeContext().getMetricGroup();
        rejects = DeadLetterReporter.create(policy, "score", metrics);
        scored = metrics.counter("transactionsScored");
        late = metrics.counter("lateTransactions");
        evaluationNanos =
                metrics.histogram("ruleEvaluationNanos", new DescriptiveStatisticsHistogram(1000));
    }

    @Override
    public void processElement(
            PaymentTransaction tx, ReadOnlyContext ctx, Collector<FraudAlert> out)
            throws Exception {
        long t = tx.getEventTime().toEpochMilli();
        if (t <= ctx.timerService().currentWatermark()) {
            late.inc();
            ctx.output(LATE, tx);
            List<PastTransaction> past = history();
            evaluate(
                    tx,
                    visible(before(past, tx), t),
                    ctx.getBroadcastState(RULES),
                    out,
                    ctx::output,
                    false);
            boolean appended = insert(past, PastTransaction.of(tx)) == past.size() - 1;
            storeHistory(
                    past,
                    appended ? 1 : -1,
                    ctx.timerService().currentWatermark(),
                    ctx.timerService());
            return;
        }
        List<PaymentTransaction> atTime = pending.get(t);
        if (atTime == null) {
            atTime = new ArrayList<>();
        }
        atTime.add(tx);
        pending.put(t, atTime);
        ctx.timerService().registerEventTimeTimer(t);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FraudAlert> out)
            throws Exception {
        List<PaymentTransaction> due = pending.get(timestamp);
        // Read once: the cleanup check below needs it too when both timers share the timestamp.
        List<PastTransaction> past = null;
        if (due != null) {
            pending.remove(timestamp);
            due.sort(Comparator.comparing(tx -> tx.getTransactionId().toString()));
            past = history();
            // How many entries went to the end of the history (-1: one went elsewhere).
            int appended = 0;
            for (PaymentTransaction tx : due) {
                // Usually every entry is earlier. After a restore the watermark starts over (it is
                // not checkpointed), so a payment behind the old watermark may arrive on time: it
                // still sees only what was before it, and the history stays ordered.
                evaluate(
                        tx,
                        visible(before(past, tx), timestamp),
                        ctx.getBroadcastState(RULES),
                        out,
                        ctx::output,
                        true);
                boolean atTheEnd = insert(past, PastTransaction.of(tx)) == past.size() - 1;
                appended = atTheEnd && appended >= 0 ? appended + 1 : -1;
            }
            storeHistory(past, appended, timestamp, ctx.timerService());
        }
        Long cleanup = cleanupAt.value();
        if (cleanup != null && cleanup == timestamp) {
            if (past == null) {
                past = history();
            }
            long newestLeavesHorizon =
                    past.isEmpty()
                            ? Long.MIN_VALUE
                            : past.get(past.size() - 1).eventTimeMillis + maxHistoryAge.toMillis();
            if (newestLeavesHorizon > timestamp) {
                // The card was used since the timer was set: look again when its newest
                // transaction leaves the horizon (moving the timer on every payment would cost
                // two timer writes per payment).
                ctx.timerService().registerEventTimeTimer(newestLeavesHorizon);
                cleanupAt.update(newestLeavesHorizon);
            } else {
                // The card's newest transaction is now older than any rule may look back: the
                // card leaves no state and no timer behind until it is used again.
                history.clear();
                legacyHistory.clear();
                cleanupAt.clear();
            }
        }
    }

    /**
     * Stores the history after {@code appended} entries were added at its end (-1: an entry went
     * before others, after a late payment or a restore), and sets the card's cleanup timer if it
     * has none. Appends are one merge each; the whole list is rewritten only when entries went
     * elsewhere or when at least {@link #trimBatch} entries fell out of what rules may see.
     */
    private void storeHistory(
            List<PastTransaction> past, int appended, long now, TimerService timers)
            throws Exception {
        List<PastTransaction> kept = trim(past, now);
        if (appended < 0 || past.size() - kept.size() >= trimBatch) {
            if (kept.isEmpty()) {
                // Only a late transaction older than the horizon came: nothing to keep.
                history.clear();
            } else {
                history.update(kept);
            }
        } else if (appended > 0) {
            history.addAll(past.subList(past.size() - appended, past.size()));
        }
        if (!kept.isEmpty() && cleanupAt.value() == null) {
            long due = kept.get(kept.size() - 1).eventTimeMillis + maxHistoryAge.toMillis();
            timers.registerEventTimeTimer(due);
            cleanupAt.update(due);
        }
    }

    private void evaluate(
            PaymentTransaction tx,
            List<PastTransaction> past,
            ReadOnlyBroadcastState<String, FraudRule> rules,
            Collector<FraudAlert> out,
            BiConsumer<OutputTag<DeadLetter>, DeadLetter> deadLetters,
            boolean windowRules)
            throws Exception {
        scored.inc();
        List<FraudRule> enabled = new ArrayList<>();
        for (Map.Entry<String, FraudRule> entry : rules.immutableEntries()) {
            if (entry.getValue().getEnabled()) {
                enabled.add(entry.getValue());
            }
        }
        enabled.sort(Comparator.comparing(FraudRule::getRuleId));
        for (FraudRule definition : enabled) {
            Rule rule = compiled(definition);
            if (rule == null || (!windowRules && rule.usesWindow())) {
                continue;
            }
            long start = System.nanoTime();
            Optional<RuleHit> hit;
            try {
                hit = rule.evaluate(tx, past);
            } catch (RuntimeException e) {
                // A rule that cannot handle this payment must not fail the job: the payment is
                // replayed from state after every restart, so the job would never get past it.
                rejects.reject(
                        tx,
                        FailureStage.PROCESS,
                        "RULE_FAILED",
                        "rule "
                                + definition.getRuleId()
                                + " v"
                                + definition.getVersion()
                                + " failed: "
                                + e,
                        deadLetters);
                continue;
            }
            evaluationNanos.update(System.nanoTime() - start);
            if (hit.isPresent()) {
                alertsByRule
                        .computeIfAbsent(
                                definition.getRuleId(),
                                id -> metrics.addGroup("rule", id).counter("alerts"))
                        .inc();
                out.collect(Alerts.of(definition, tx, hit.get()));
            }
        }
    }

    /**
     * The rule for a definition, or null for one that is no longer valid: definitions are validated
     * before the broadcast (RuleValidator), but rules restored from a savepoint of an older version
     * of the job were validated by its older checks.
     */
    @Nullable
    private Rule compiled(FraudRule definition) {
        return compiled.computeIfAbsent(
                        definition.getRuleId(),
                        id -> {
                            try {
                                return Optional.of(Rule.of(definition));
                            } catch (IllegalArgumentException e) {
                                LOG.warn(
                                        "Rule {} v{} from the job's state is invalid and is"
                                                + " skipped until a valid version is published: {}",
                                        definition.getRuleId(),
                                        definition.getVersion(),
                                        e.getMessage());
                                return Optional.empty();
                            }
                        })
                .orElse(null);
    }

    @Override
    public void processBroadcastElement(RuleUpdate update, Context ctx, Collector<FraudAlert> out)
            throws Exception {
        BroadcastState<String, FraudRule> rules = ctx.getBroadcastState(RULES);
        compiled.remove(update.ruleId);
        if (update.isRemoval()) {
            rules.remove(update.ruleId);
            return;
        }
        FraudRule rule = update.definition;
        FraudRule current = rules.get(rule.getRuleId());
        // Only a higher version applies: a replayed older version never rolls a rule back, and a
        // changed definition under the same version would give two meanings to one alert id.
        if (current == null || rule.getVersion() > current.getVersion()) {
            rules.put(rule.getRuleId(), rule);
        } else if (rule.getVersion() == current.getVersion() && !rule.equals(current)) {
            LOG.warn(
                    "Rule {} v{} was published again with a different definition and is ignored;"
                            + " publish changes with a higher version",
                    rule.getRuleId(),
                    rule.getVersion());
        }
    }

    /** The card's history, moved from release 0.1's layout on first use. */
    private List<PastTransaction> history() throws Exception {
        List<PastTransaction> past = new ArrayList<>();
        Iterable<PastTransaction> stored = history.get();
        if (stored != null) {
            stored.forEach(past::add);
        }
        // Only a card with a cleanup timer can have history in the old layout.
        if (past.isEmpty() && cleanupAt.value() != null) {
            List<PastTransaction> legacy = legacyHistory.value();
            if (legacy != null) {
                past.addAll(legacy);
                history.update(past);
                legacyHistory.clear();
            }
        }
        return past;
    }

    /** The transactions before {@code tx} in (event time, id) order. */
    private static List<PastTransaction> before(List<PastTransaction> past, PaymentTransaction tx) {
        long t = tx.getEventTime().toEpochMilli();
        String id = tx.getTransactionId().toString();
        List<PastTransaction> earlier = new ArrayList<>();
        for (PastTransaction p : past) {
            if (p.eventTimeMillis < t
                    || (p.eventTimeMillis == t && p.transactionId.compareTo(id) < 0)) {
                earlier.add(p);
            }
        }
        return earlier;
    }

    /** Inserts {@code tx} in (event time, id) order; returns its index. */
    private static int insert(List<PastTransaction> past, PastTransaction tx) {
        int i = past.size();
        while (i > 0
                && (past.get(i - 1).eventTimeMillis > tx.eventTimeMillis
                        || (past.get(i - 1).eventTimeMillis == tx.eventTimeMillis
                                && past.get(i - 1).transactionId.compareTo(tx.transactionId)
                                        > 0))) {
            i--;
        }
        past.add(i, tx);
        return i;
    }

    /**
     * What the rules see: the last {@code maxHistory} transactions of the {@code maxHistoryAge}
     * before {@code t}.
     */
    private List<PastTransaction> visible(List<PastTransaction> past, long t) {
        long horizon = t - maxHistoryAge.toMillis();
        int from = 0;
        while (from < past.size()
                && (past.size() - from > maxHistory || past.get(from).eventTimeMillis <= horizon)) {
            from++;
        }
        return past.subList(from, past.size());
    }

    /** At most {@code maxHistory} transactions, none older than {@code maxHistoryAge}. */
    private List<PastTransaction> trim(List<PastTransaction> past, long now) {
        long horizon = now - maxHistoryAge.toMillis();
        int from = 0;
        while (from < past.size()
                && (past.size() - from > maxHistory || past.get(from).eventTimeMillis < horizon)) {
            from++;
        }
        return new ArrayList<>(past.subList(from, past.size()));
    }
}
