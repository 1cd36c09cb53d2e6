package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.Objects;

/**
 * The dead-letter side output every stage of a job shares, and the splitter that puts a source's
 * dead letters on it.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<PaymentTransaction> payments =
 *         DeadLetters.split(env.fromSource(source, watermarks, "payments").uid("payments"),
 *                           "payments-dead-letters");
 * DataStream<DeadLetter> deadLetters = payments.getSideOutput(DeadLetters.TAG);
 * }</pre>
 */
@PublicEvolving
public final class DeadLetters {

    /** The one side output for dead letters of all stages. */
    public static final OutputTag<DeadLetter> TAG = new OutputTag<>("dead-letters", typeInfo());

    private DeadLetters() {}

    /** Flink type information of the envelope (Avro, never Kryo). */
    public static TypeInformation<DeadLetter> typeInfo() {
        return new AvroTypeInfo<>(DeadLetter.class);
    }

    /**
     * Emits the values of {@code decoded} and moves its dead letters to {@link #TAG}; the operator
     * gets {@code uid} as uid and name.
     */
    public static <T> SingleOutputStreamOperator<T> split(
            DataStream<Either<DeadLetter, T>> decoded, String uid) {
        @SuppressWarnings("unchecked")
        TypeInformation<T> valueType =
                ((org.apache.flink.api.java.typeutils.EitherTypeInfo<DeadLetter, T>)
                                decoded.getType())
                        .getRightType();
        return decoded.process(new Splitter<T>(), valueType).uid(uid).name(uid);
    }

    /**
     * Adds {@code source} to {@code env} with uid and name {@code uid} and splits its dead letters
     * off to {@link #TAG} (operator {@code uid + "-dead-letters"}); give the source's deserializer
     * the same uid (e.g. {@link io.pipelinekit.core.kafka.KafkaFactories#avroSource}).
     */
    public static <T> SingleOutputStreamOperator<T> fromSource(
            StreamExecutionEnvironment env,
            Source<Either<DeadLetter, T>, ?, ?> source,
            WatermarkStrategy<Either<DeadLetter, T>> watermarks,
            String uid) {
        Objects.requireNonNull(uid, "uid");
        return split(env.fromSource(source, watermarks, uid).uid(uid), uid + "-dead-letters");
    }

    /** All dead letters of the given operators' {@link #TAG} side outputs, as one stream. */
    public static DataStream<DeadLetter> union(SingleOutputStreamOperator<?>... operators) {
        if (operators.length == 0) {
            throw new IllegalArgumentException("union needs at least one operator");
        }
        DataStream<DeadLetter> all = operators[0].getSideOutput(TAG);
        for (int i = 1; i < operators.length; i++) {
            all = all.union(operators[i].getSideOutput(TAG));
        }
        return all;
    }

    private static final class Splitter<T> extends ProcessFunction<Either<DeadLetter, T>, T> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(Either<DeadLetter, T> value, Context ctx, Collector<T> out) {
            if (value.isRight()) {
                out.collect(value.right());
            } else {
                ctx.output(TAG, value.left());
            }
        }
    }
}
