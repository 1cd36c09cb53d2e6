package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.core.dlq.DeadLetterKafkaDeserializer;
import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.jobs.fraud.FraudRules;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.testkit.flink.SchemaContexts;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.formats.avro.AvroDeserializationSchema;
import org.apache.flink.formats.avro.AvroSerializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RuleUpdateDeserializerTest {

    private final RuleUpdateDeserializer deserializer =
            new RuleUpdateDeserializer(
                    DeadLetterKafkaDeserializer.wrap(
                            AvroDeserializationSchema.forSpecific(FraudRule.class),
                            DeadLetterPolicy.builder("fraud-detection").build(),
                            "rules"));
    private final List<Either<DeadLetter, RuleUpdate>> out = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        deserializer.open(SchemaContexts.deserialization());
    }

    @Test
    void aTombstoneRemovesTheRuleNamedByItsKey() throws Exception {
        deserializer.deserialize(record("velocity", null), collector());

        assertThat(out).hasSize(1);
        assertThat(out.get(0).right().isRemoval()).isTrue();
        assertThat(out.get(0).right().ruleId).isEqualTo("velocity");
    }

    @Test
    void aDefinitionBecomesAnUpdateAndGarbageADeadLetter() throws Exception {
        FraudRule rule = FraudRules.velocity(3, 60, 5, null);
        SerializationSchema<FraudRule> serializer =
                AvroSerializationSchema.forSpecific(FraudRule.class);
        serializer.open(null);

        deserializer.deserialize(record("velocity", serializer.serialize(rule)), collector());
        deserializer.deserialize(
                record("velocity", "not avro".getBytes(StandardCharsets.UTF_8)), collector());
        // Without a key there is no rule to remove: a null value is bad input like any other.
        deserializer.deserialize(record(null, null), collector());

        assertThat(out.get(0).right().definition).isEqualTo(rule);
        assertThat(out.get(1).isLeft()).isTrue();
        assertThat(out.get(2).left().getReason()).isEqualTo("NULL_VALUE");
    }

    @Test
    void updatesAreSerializedAsPojosNotKryo() {
        EitherTypeInfo<DeadLetter, RuleUpdate> type =
                (EitherTypeInfo<DeadLetter, RuleUpdate>) deserializer.getProducedType();
        assertThat(type.getRightType()).isInstanceOf(PojoTypeInfo.class);
    }

    private static ConsumerRecord<byte[], byte[]> record(String key, byte[] value) {
        return new ConsumerRecord<>(
                "rules", 0, 7L, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
    }

    private Collector<Either<DeadLetter, RuleUpdate>> collector() {
        return new Collector<>() {
            @Override
            public void collect(Either<DeadLetter, RuleUpdate> record) {
                out.add(record);
            }

            @Override
            public void close() {}
        };
    }
}
