package io.pipelinekit.core.time;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

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
