package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.fraud.FraudRule;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the compacted rule topic: a tombstone (null value) removes the rule named by its key; any
 * other record goes through the dead-letter-aware {@link FraudRule} deserializer.
 */
@Internal
public final class RuleUpdateDeserializer
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, RuleUpdate>> {

    private static final long serialVersionUID = 1L;

    private final KafkaRecordDeserializationSchema<Either<DeadLetter, FraudRule>> definitions;

    public RuleUpdateDeserializer(
            KafkaRecordDeserializationSchema<Either<DeadLetter, FraudRule>> definitions) {
        this.definitions = definitions;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
        definitions.open(context);
    }

    @Override
    public void deserialize(
            ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, RuleUpdate>> out)
            throws IOException {
        if (record.value() == null && record.key() != null) {
            out.collect(
                    Either.Right(
                            RuleUpdate.removed(new String(record.key(), StandardCharsets.UTF_8))));
            return;
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        definitions.deserialize(
                record,
                new Collector<>() {
                    @Override
                    public void collect(Either<DeadLetter, FraudRule> result) {
                        out.collect(
                                result.isLeft()
                                        ? Either.Left(result.left())
                                        : Either.Right(RuleUpdate.of(key, result.right())));
                    }

                    @Override
                    public void close() {}
                });
    }

    @Override
    public TypeInformation<Either<DeadLetter, RuleUpdate>> getProducedType() {
        EitherTypeInfo<DeadLetter, FraudRule> produced =
                (EitherTypeInfo<DeadLetter, FraudRule>) definitions.getProducedType();
        return new EitherTypeInfo<>(produced.getLeftType(), TypeInformation.of(RuleUpdate.class));
    }
}
