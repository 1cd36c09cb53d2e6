package io.pipelinekit.core.dlq.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.Function;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.util.FunctionUtils;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** Runs a user function per record and turns its failures into dead letters by the policy. */
@Internal
public final class GuardedProcessFunction<I, O> extends ProcessFunction<I, O> {

    private static final long serialVersionUID = 1L;

    /** What the wrapper runs for one record. */
    @FunctionalInterface
    public interface Body<I, O> extends Serializable {
        void apply(I value, ProcessFunction<I, O>.Context ctx, Collector<O> out) throws Exception;
    }

    /** Thrown by validating bodies: an invalid record, not a bug. */
    public static final class InvalidRecord extends Exception {
        private static final long serialVersionUID = 1L;
        final String reason;

        public InvalidRecord(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    private final String operatorUid;
    private final DeadLetterPolicy policy;
    private final FailureStage stage;
    private final Function wrapped;
    private final Body<I, O> body;
    private transient FailureTracker tracker;
    private transient DeadLetterFactory deadLetters;
    private transient List<O> buffer;

    public GuardedProcessFunction(
            String operatorUid,
            DeadLetterPolicy policy,
            FailureStage stage,
            Function wrapped,
            Body<I, O> body) {
        if (operatorUid == null || operatorUid.isBlank()) {
            throw new IllegalArgumentException(
                    "A guarded function needs the uid of its operator: dead letters record it");
        }
        this.operatorUid = operatorUid;
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
        this.stage = stage;
        this.wrapped = java.util.Objects.requireNonNull(wrapped, "function");
        this.body = body;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        tracker = new FailureTracker(policy, operatorUid, getRuntimeContext().getMetricGroup());
        deadLetters = new DeadLetterFactory(policy, operatorUid);
        buffer = new ArrayList<>();
        FunctionUtils.setFunctionRuntimeContext(wrapped, getRuntimeContext());
        FunctionUtils.openFunction(wrapped, openContext);
    }

    @Override
    public void close() throws Exception {
        FunctionUtils.closeFunction(wrapped);
    }

    @Override
    public void processElement(I value, Context ctx, Collector<O> out) throws Exception {
        buffer.clear();
        Collector<O> buffering =
                new Collector<>() {
                    @Override
                    public void collect(O record) {
                        buffer.add(record);
                    }

                    @Override
                    public void close() {}
                };
        try {
            body.apply(value, ctx, buffering);
        } catch (InvalidRecord invalid) {
            onFailure(value, ctx, invalid.reason, invalid.getMessage(), null);
            return;
        } catch (Exception e) {
            onFailure(value, ctx, FailureReasons.ofException(e), null, e);
            return;
        }
        for (O record : buffer) {
            out.collect(record);
        }
    }

    private void onFailure(I value, Context ctx, String reason, String message, Exception error)
            throws Exception {
        FailureAction action = policy.actionFor(stage);
        switch (action) {
            case FAIL:
                if (error != null) {
                    throw error;
                }
                throw new IllegalStateException(
                        "Invalid record in operator '"
                                + operatorUid
                                + "' ("
                                + reason
                                + "): "
                                + message
                                + "; the dead-letter policy for "
                                + stage
                                + " is FAIL");
            case SKIP_AND_COUNT:
                tracker.skipped(stage, reason, error);
                return;
            default:
                tracker.deadLettered(stage, reason, error);
                ctx.output(
                        DeadLetters.TAG,
                        deadLetters.fromInput(value, stage, reason, message, error));
        }
    }
}
