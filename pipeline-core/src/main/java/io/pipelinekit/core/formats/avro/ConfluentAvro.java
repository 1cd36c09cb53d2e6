package io.pipelinekit.core.formats.avro;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.RegistryAvroDeserializationSchema;
import org.apache.flink.formats.avro.RegistryAvroSerializationSchema;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro in the Confluent schema-registry wire format (magic byte 0, 4-byte schema id, Avro binary),
 * for Kafka sources and sinks, without Confluent's client libraries.
 *
 * <pre>{@code
 * Configuration registry = new Configuration();
 * registry.set(SchemaRegistryOptions.URL, "http://registry:8081");
 *
 * DeserializationSchema<PaymentTransaction> in =
 *         ConfluentAvro.deserializer(PaymentTransaction.class, registry);
 * SerializationSchema<FraudAlert> out =
 *         ConfluentAvro.serializer(FraudAlert.class, "fraud-alerts", registry);
 * }</pre>
 *
 * <p>Readers resolve each record's writer schema (by its id) against the reader's class, so
 * producers may move to newer compatible versions while the job keeps running. Header and registry
 * failures raise a {@link io.pipelinekit.core.registry.SchemaRegistryException} with a reason code.
 */
@PublicEvolving
public final class ConfluentAvro {

    private ConfluentAvro() {}

    /** Reads records of a generated class, resolving each writer schema against it. */
    public static <T extends SpecificRecord> DeserializationSchema<T> deserializer(
            Class<T> type, ReadableConfig registryOptions) {
        return new RegistryAvroDeserializationSchema<>(
                type, null, new ConfluentSchemaCoderProvider(registryOptions, null, false));
    }

    /** Reads generic records with {@code readerSchema}. */
    public static DeserializationSchema<GenericRecord> genericDeserializer(
            Schema readerSchema, ReadableConfig registryOptions) {
        return new RegistryAvroDeserializationSchema<>(
                GenericRecord.class,
                readerSchema,
                new ConfluentSchemaCoderProvider(registryOptions, null, false));
    }

    /** Writes record values of a generated class for {@code topic}. */
    public static <T extends SpecificRecord> SerializationSchema<T> serializer(
            Class<T> type, String topic, ReadableConfig registryOptions) {
        java.util.Objects.requireNonNull(topic, "topic (names the registry subject)");
        return RegistryAvroSerializationSchema.forSpecific(
                type, new ConfluentSchemaCoderProvider(registryOptions, topic, false));
    }

    /** Writes record keys of a generated class for {@code topic} ({@code <topic>-key}). */
    public static <T extends SpecificRecord> SerializationSchema<T> keySerializer(
            Class<T> type, String topic, ReadableConfig registryOptions) {
        java.util.Objects.requireNonNull(topic, "topic (names the registry subject)");
        return RegistryAvroSerializationSchema.forSpecific(
                type, new ConfluentSchemaCoderProvider(registryOptions, topic, true));
    }

    /** Writes generic record values with {@code schema} for {@code topic}. */
    public static SerializationSchema<GenericRecord> genericSerializer(
            Schema schema, String topic, ReadableConfig registryOptions) {
        java.util.Objects.requireNonNull(topic, "topic (names the registry subject)");
        return RegistryAvroSerializationSchema.forGeneric(
                schema, new ConfluentSchemaCoderProvider(registryOptions, topic, false));
    }
}
