package io.pipelinekit.core.dlq;

import io.pipelinekit.core.dlq.internal.DeadLetterFactory;
import io.pipelinekit.core.dlq.internal.FailureReasons;
import io.pipelinekit.core.dlq.internal.FailureTracker;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.InstantiationUtil;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.util.Objects;

/**
 * A Kafka record deserializer that never throws on bad data: each record becomes either its value
 * ({@code Either.Right}) or a {@link DeadLetter} with the original bytes, the coordinates and the
 * reason ({@code Either.Left}). A source cannot side-output, so {@link DeadLetters#split} moves the
 * dead letters to {@link DeadLetters#TAG} right after the source.
 *
 * <pre>{@code
 * KafkaSource<Either<DeadLetter, PaymentTransaction>> source =
 *         KafkaSource.<Either<DeadLetter, PaymentTransaction>>builder()
 *                 .setDeserializer(DeadLetterKafkaDeserializer.wrap(
 *                         ConfluentAvro.deserializer(PaymentTransaction.class, registry),
 *                         policy, "payments-source"))
 *                 ...
 * }</pre>
 *
 * <p>Failures: an exception of the wrapped deserializer (reason from the exception, e.g. {@code
 * WRONG_MAGIC_BYTE}, {@code UNKNOWN_SCHEMA_ID}, {@code TRUNCATED_PAYLOAD}, {@code
 * REGISTRY_UNAVAILABLE}), a null value ({@code NULL_VALUE}), a record above the policy's size limit
 * ({@code OVERSIZED}), or a deserializer that returned null ({@code DESERIALIZED_TO_NULL}). The
 * stage's {@link FailureAction} decides what happens; the tolerance applies to all of them.
 */
@PublicEvolving
public final class DeadLetterKafkaDeserializer<T>
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, T>> {

    private static final long serialVersionUID = 1L;

    private final DeserializationSchema<T> pristine;
    private final DeadLetterPolicy policy;
    private final String operatorUid;
    private transient DeserializationSchema<T> inner;
    private transient DeserializationSchema.InitializationContext context;
    private transient DeadLetterFactory deadLetters;
    private transient FailureTracker tracker;

    private DeadLetterKafkaDeserializer(
            DeserializationSchema<T> inner, DeadLetterPolicy policy, String operatorUid) {
        this.pristine = Objects.requireNonNull(inner, "deserializer");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.operatorUid = Objects.requireNonNull(operatorUid, "operatorUid");
    }

    /**
     * Wraps a value deserializer; {@code operatorUid} is the uid given to the source, recorded in
     * its dead letters.
     */
    public static <T> DeadLetterKafkaDeserializer<T> wrap(
            DeserializationSchema<T> valueDeserializer,
            DeadLetterPolicy policy,
            String operatorUid) {
        return new DeadLetterKafkaDeserializer<>(valueDeserializer, policy, operatorUid);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
        this.context = context;
        inner = freshInner();
        deadLetters = new DeadLetterFactory(policy, operatorUid);
        tracker = new FailureTracker(policy, operatorUid, context.getMetricGroup());
    }

    @Override
    public void deserialize(
            ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, T>> out)
            throws IOException {
        ensureOpen();
        long size =
                (record.key() == null ? 0 : record.key().length)
                        + (record.value() == null ? 0 : record.value().length);
        if (size > policy.maxRecordBytes()) {
            fail(
                    record,
                    "OVERSIZED",
                    "Record of " + size + " bytes exceeds the limit of " + policy.maxRecordBytes(),
                    null,
                    out);
            return;
        }
        if (record.value() == null) {
            FailureAction action = policy.nullValues();
            if (action == FailureAction.FAIL) {
                throw new IOException(
                        "Null value (tombstone) at "
                                + coordinates(record)
                                + " where a value is required");
            }
            handle(
                    action,
                    record,
                    "NULL_VALUE",
                    "Null value (tombstone) where a value is required",
                    null,
                    out);
            return;
        }
        T value;
        try {
            value = inner.deserialize(record.value());
        } catch (java.io.InterruptedIOException e) {
            // The task is being cancelled: the record is fine, nothing to dead-letter.
            throw e;
        } catch (Exception e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.io.InterruptedIOException(
                        "Interrupted while deserializing " + coordinates(record));
            }
            // Deserializers keep decoders between records (Flink's Avro schemas do); after a
            // failure mid-record that state is corrupt and would fail every following record.
            inner = freshInner();
            fail(record, FailureReasons.ofDeserialization(e), null, e, out);
            return;
        }
        if (value == null) {
            fail(
                    record,
                    "DESERIALIZED_TO_NULL",
                    "The deserializer returned null for a non-null value",
                    null,
                    out);
            return;
        }
        out.collect(Either.Right(value));
    }

    @Override
    public TypeInformation<Either<DeadLetter, T>> getProducedType() {
        return new EitherTypeInfo<>(DeadLetters.typeInfo(), pristine.getProducedType());
    }

    private void fail(
            ConsumerRecord<byte[], byte[]> record,
            String reason,
            String message,
            Exception error,
            Collector<Either<DeadLetter, T>> out)
            throws IOException {
        FailureAction action = policy.actionFor(FailureStage.DESERIALIZE);
        if (action == FailureAction.FAIL) {
            throw new IOException(
                    "Cannot deserialize "
                            + coordinates(record)
                            + " ("
                            + reason
                            + "); the dead-letter policy for DESERIALIZE is FAIL",
                    error);
        }
        handle(action, record, reason, message, error, out);
    }

    private void handle(
            FailureAction action,
            ConsumerRecord<byte[], byte[]> record,
            String reason,
            String message,
            Exception error,
            Collector<Either<DeadLetter, T>> out) {
        if (action == FailureAction.SKIP_AND_COUNT) {
            tracker.skipped(FailureStage.DESERIALIZE, reason, error);
            return;
        }
        tracker.deadLettered(FailureStage.DESERIALIZE, reason, error);
        out.collect(
                Either.Left(
                        deadLetters.fromKafka(
                                record, FailureStage.DESERIALIZE, reason, message, error)));
    }

    private void ensureOpen() throws IOException {
        if (tracker == null) {
            // Used without open() (e.g. directly in a test): no metric group to report to.
            inner = freshInner();
            deadLetters = new DeadLetterFactory(policy, operatorUid);
            tracker = new FailureTracker(policy, operatorUid, null);
        }
    }

    /** A copy of the configured deserializer in its initial state, opened. */
    private DeserializationSchema<T> freshInner() throws IOException {
        try {
            DeserializationSchema<T> copy =
                    InstantiationUtil.clone(
                            pristine,
                            context == null
                                    ? Thread.currentThread().getContextClassLoader()
                                    : context.getUserCodeClassLoader().asClassLoader());
            if (context != null) {
                copy.open(context);
            }
            return copy;
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(
                    "Cannot re-create the value deserializer " + pristine.getClass().getName(), e);
        }
    }

    private static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
