package io.pipelinekit.core.dlq;

import io.pipelinekit.core.dlq.internal.GuardedProcessFunction;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;

import java.util.Objects;

/**
 * Wraps user functions so that an exception, or a failed validation, turns the input record into a
 * dead letter on {@link DeadLetters#TAG} (or a skip, or a job failure, as the {@link
 * DeadLetterPolicy} says) instead of failing the job. Outputs of a record whose processing failed
 * are discarded, so a failure never leaves half of a record's results behind.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<Alert> alerts =
 *         payments.process(GuardedFunctions.flatMap("score", policy, new ScoreFunction()), alertType)
 *                 .uid("score").name("score");
 * SingleOutputStreamOperator<Payment> valid =
 *         payments.process(GuardedFunctions.validate("validate", policy,
 *                         p -> p.getAmount().signum() > 0
 *                                 ? ValidationResult.valid()
 *                                 : ValidationResult.invalid("NON_POSITIVE_AMOUNT", "amount " + p.getAmount())),
 *                         paymentType)
 *                 .uid("validate").name("validate");
 * DataStream<DeadLetter> deadLetters = DeadLetters.union(alerts, valid);
 * }</pre>
 *
 * <p>The {@code operatorUid} must be the uid the operator gets; it is recorded in dead letters.
 * Rich functions are opened and closed with the wrapper.
 */
@PublicEvolving
public final class GuardedFunctions {

    private GuardedFunctions() {}

    /** A map whose exceptions become PROCESS dead letters. */
    public static <I, O> ProcessFunction<I, O> map(
            String operatorUid, DeadLetterPolicy policy, MapFunction<I, O> function) {
        return new GuardedProcessFunction<>(
                operatorUid,
                policy,
                FailureStage.PROCESS,
                function,
                (value, ctx, out) -> out.collect(function.map(value)));
    }

    /**
     * A flatMap whose exceptions become PROCESS dead letters (its outputs for that record dropped).
     */
    public static <I, O> ProcessFunction<I, O> flatMap(
            String operatorUid, DeadLetterPolicy policy, FlatMapFunction<I, O> function) {
        return new GuardedProcessFunction<>(
                operatorUid,
                policy,
                FailureStage.PROCESS,
                function,
                (value, ctx, out) -> function.flatMap(value, out));
    }

    /**
     * A process function whose exceptions become PROCESS dead letters. Its main outputs for the
     * failed record are dropped; side outputs it emitted before failing are not.
     */
    public static <I, O> ProcessFunction<I, O> process(
            String operatorUid, DeadLetterPolicy policy, ProcessFunction<I, O> function) {
        return new GuardedProcessFunction<>(
                operatorUid,
                policy,
                FailureStage.PROCESS,
                function,
                (value, ctx, out) -> function.processElement(value, ctx, out));
    }

    /**
     * Passes valid records on unchanged; invalid ones become VALIDATE dead letters with the
     * validator's reason (exceptions of the validator too, with the exception's class as reason).
     */
    public static <T> ProcessFunction<T, T> validate(
            String operatorUid, DeadLetterPolicy policy, Validator<T> validator) {
        return new GuardedProcessFunction<>(
                operatorUid,
                policy,
                FailureStage.VALIDATE,
                validator,
                (value, ctx, out) -> {
                    ValidationResult result = validator.validate(value);
                    if (!result.isValid()) {
                        throw new GuardedProcessFunction.InvalidRecord(
                                result.reason(), result.message());
                    }
                    out.collect(value);
                });
    }

    /**
     * Validates {@code stream} in an operator with uid and name {@code uid}: valid records pass on,
     * invalid ones become VALIDATE dead letters on {@link DeadLetters#TAG}.
     */
    public static <T> SingleOutputStreamOperator<T> validate(
            DataStream<T> stream, String uid, DeadLetterPolicy policy, Validator<T> validator) {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(uid, "uid");
        return stream.process(validate(uid, policy, validator), stream.getType())
                .uid(uid)
                .name(uid);
    }
}
