package io.pipelinekit.jobs.inventory.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.DeadLetterReporter;
import io.pipelinekit.core.dlq.DeadLetters;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.cdc.debezium.DebeziumDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.time.Instant;

/**
 * Normalizes Debezium change records of the stock table into {@link InventoryChangeEvent}s; a
 * record that does not fit the contract becomes a dead letter (stage DESERIALIZE).
 *
 * <p>Snapshot rows carry no LSN (Debezium reports 0); they get {@code snapshotVersion}, the WAL
 * position before the snapshot started, so every later change of the row (whose LSN is above the
 * snapshot chunk's high watermark) is newer, and a re-snapshot after downtime is newer than what a
 * target kept from before.
 */
@Internal
public final class ChangeEventDeserializer
        implements DebeziumDeserializationSchema<Either<DeadLetter, InventoryChangeEvent>> {

    private static final long serialVersionUID = 1L;

    private final DeadLetterPolicy policy;
    private final long snapshotVersion;
    private transient DeadLetterReporter rejects;

    public ChangeEventDeserializer(DeadLetterPolicy policy, long snapshotVersion) {
        this.policy = policy;
        this.snapshotVersion = snapshotVersion;
    }

    @Override
    public void deserialize(
            SourceRecord record, Collector<Either<DeadLetter, InventoryChangeEvent>> out) {
        if (!(record.value() instanceof Struct)) {
            return; // tombstone after a delete, or a heartbeat: nothing changed
        }
        Struct value = (Struct) record.value();
        if (value.schema().field("op") == null) {
            return;
        }
        try {
            out.collect(Either.Right(convert(value)));
        } catch (RuntimeException e) {
            if (rejects == null) {
                rejects = DeadLetterReporter.create(policy, "cdc-source", null);
            }
            rejects.reject(
                            String.valueOf(value),
                            FailureStage.DESERIALIZE,
                            "CONTRACT_VIOLATION",
                            "Change of "
                                    + record.topic()
                                    + " does not fit InventoryChangeEvent: "
                                    + e)
                    .ifPresent(letter -> out.collect(Either.Left(letter)));
        }
    }

    InventoryChangeEvent convert(Struct value) {
        String op = value.getString("op");
        Struct before = struct(value, "before");
        Struct after = struct(value, "after");
        Struct source = value.getStruct("source");
        ChangeOperation operation;
        switch (op) {
            case "r":
                operation = ChangeOperation.SNAPSHOT;
                break;
            case "c":
                operation = ChangeOperation.INSERT;
                break;
            case "u":
                operation = ChangeOperation.UPDATE;
                break;
            case "d":
                operation = ChangeOperation.DELETE;
                break;
            default:
                throw new IllegalArgumentException("unknown operation '" + op + "'");
        }
        Struct row = operation == ChangeOperation.DELETE ? before : after;
        if (row == null) {
            throw new IllegalArgumentException(
                    "no " + (operation == ChangeOperation.DELETE ? "before" : "after") + " image");
        }
        boolean snapshot = operation == ChangeOperation.SNAPSHOT;
        Long lsn = snapshot ? null : source.getInt64("lsn");
        if (!snapshot && lsn == null) {
            throw new IllegalArgumentException("change without an LSN");
        }
        Long sourceMillis = source.getInt64("ts_ms");
        return InventoryChangeEvent.newBuilder()
                .setProductId(required(row, "product_id"))
                .setWarehouseId(required(row, "warehouse_id"))
                .setOperation(operation)
                .setQuantityBefore(
                        operation == ChangeOperation.UPDATE || operation == ChangeOperation.DELETE
                                ? quantity(before)
                                : null)
                .setQuantityAfter(operation == ChangeOperation.DELETE ? null : quantity(after))
                .setSourceTable(source.getString("schema") + "." + source.getString("table"))
                .setLsn(snapshot ? snapshotVersion : lsn)
                .setTransactionId(snapshot ? null : source.getInt64("txId"))
                .setSourceTimestamp(
                        Instant.ofEpochMilli(snapshot || sourceMillis == null ? 0 : sourceMillis))
                .setCapturedAt(Instant.now())
                .build();
    }

    private static Struct struct(Struct value, String field) {
        return value.schema().field(field) == null ? null : value.getStruct(field);
    }

    private static String required(Struct row, String column) {
        Field field = row.schema().field(column);
        if (field == null || row.get(field) == null) {
            throw new IllegalArgumentException("column " + column + " is missing or null");
        }
        return row.get(field).toString();
    }

    private static Long quantity(Struct row) {
        if (row == null || row.schema().field("quantity") == null) {
            return null; // no before-image without REPLICA IDENTITY FULL
        }
        Object quantity = row.get("quantity");
        return quantity == null ? null : ((Number) quantity).longValue();
    }

    @Override
    public TypeInformation<Either<DeadLetter, InventoryChangeEvent>> getProducedType() {
        return new EitherTypeInfo<>(
                DeadLetters.typeInfo(), new AvroTypeInfo<>(InventoryChangeEvent.class));
    }
}
