package io.pipelinekit.core.time;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.core.dlq.internal.DeadLetterFactory;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.Objects;

/**
 * Routes records that arrive behind the watermark to a {@code late} side output and counts them
 * (metric {@code lateRecords}), so that timer-based operators downstream see only on-time records
 * and late ones are never dropped silently. For windows, pass {@link #tag} to {@code
 * WindowedStream.sideOutputLateData}.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<Payment> onTime = LateRecords.split(payments, "late-payments");
 * DataStream<Payment> late = onTime.getSideOutput(LateRecords.tag(payments.getType()));
 * }</pre>
 */
@PublicEvolving
public final class LateRecords {

    /** Name of the late side output. */
    public static final String TAG_NAME = "late";

    private LateRecords() {}

    /** The late side output for records of {@code type}. */
    public static <T> OutputTag<T> tag(TypeInformation<T> type) {
        return new OutputTag<>(TAG_NAME, type);
    }

    /**
     * Passes on-time records on and moves late ones to {@link #tag}; {@code uid} names the
     * operator.
     */
    public static <T> SingleOutputStreamOperator<T> split(DataStream<T> stream, String uid) {
        return stream.process(new Router<>(tag(stream.getType())), stream.getType())
                .uid(uid)
                .name(uid);
    }

    /** The routing function itself, for use inside other operator chains. */
    public static <T> ProcessFunction<T, T> router(TypeInformation<T> type) {
        return new Router<>(tag(type));
    }

    /**
     * Turns late records, e.g. a window's {@code sideOutputLateData}, into dead letters (stage
     * PROCESS, reason {@value #LATE_REASON}, the record as payload, counted as {@code
     * lateRecords}), so a late record is never dropped silently; late records never fail the job.
     *
     * <pre>{@code
     * OutputTag<Payment> late = LateRecords.tag(payments.getType());
     * SingleOutputStreamOperator<Total> totals =
     *         payments.keyBy(...).window(...).sideOutputLateData(late).reduce(...);
     * DataStream<DeadLetter> lateLetters =
     *         LateRecords.toDeadLetters(totals.getSideOutput(late), policy, "late-payments");
     * }</pre>
     */
    public static <T> SingleOutputStreamOperator<DeadLetter> toDeadLetters(
            DataStream<T> late, DeadLetterPolicy policy, String uid) {
        Objects.requireNonNull(late, "late");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(uid, "uid");
        return late.process(lateLetters(policy, uid), DeadLetters.typeInfo()).uid(uid).name(uid);
    }

    static <T> ProcessFunction<T, DeadLetter> lateLetters(DeadLetterPolicy policy, String uid) {
        return new LateLetters<>(policy, uid);
    }

    /** Reason code of the dead letters of {@link #toDeadLetters}. */
    public static final String LATE_REASON = "LATE_RECORD";

    private static final class LateLetters<T> extends ProcessFunction<T, DeadLetter> {
        private static final long serialVersionUID = 1L;
        private final DeadLetterPolicy policy;
        private final String uid;
        private transient DeadLetterFactory letters;
        private transient Counter lateRecords;

        LateLetters(DeadLetterPolicy policy, String uid) {
            this.policy = policy;
            this.uid = uid;
        }

        @Override
        public void open(OpenContext openContext) {
            letters = new DeadLetterFactory(policy, uid);
            lateRecords = getRuntimeContext().getMetricGroup().counter("lateRecords");
        }

        @Override
        public void processElement(T value, Context ctx, Collector<DeadLetter> out) {
            lateRecords.inc();
            out.collect(
                    letters.fromInput(
                            value,
                            FailureStage.PROCESS,
                            LATE_REASON,
                            "event time "
                                    + ctx.timestamp()
                                    + " is behind the watermark "
                                    + ctx.timerService().currentWatermark()
                                    + ": its window had already fired",
                            null));
        }
    }

    private static final class Router<T> extends ProcessFunction<T, T> {
        private static final long serialVersionUID = 1L;
        private final OutputTag<T> late;
        private transient Counter lateRecords;

        Router(OutputTag<T> late) {
            this.late = late;
        }

        @Override
        public void open(OpenContext openContext) {
            lateRecords = getRuntimeContext().getMetricGroup().counter("lateRecords");
        }

        @Override
        public void processElement(T value, Context ctx, Collector<T> out) {
            Long timestamp = ctx.timestamp();
            if (timestamp != null && timestamp <= ctx.timerService().currentWatermark()) {
                lateRecords.inc();
                ctx.output(late, value);
            } else {
                out.collect(value);
            }
        }
    }
}
