package io.pipelinekit.core.formats.avro;

import io.pipelinekit.core.formats.avro.internal.ConfluentWireSchemaCoder;
import io.pipelinekit.core.registry.InMemorySchemaRegistryClient;
import io.pipelinekit.core.registry.SchemaRegistryException;
import io.pipelinekit.core.registry.SchemaRegistryException.Reason;
import io.pipelinekit.core.registry.SubjectNameStrategy;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.formats.avro.RegistryAvroDeserializationSchema;
import org.apache.flink.formats.avro.RegistryAvroSerializationSchema;
import org.apache.flink.formats.avro.SchemaCoder;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Golden bytes of the Confluent wire format and its failure modes. */
class ConfluentWireFormatTest {

    private static final StockLevel LEVEL =
            StockLevel.newBuilder()
                    .setProductId("p1")
                    .setWarehouseId("w1")
                    .setQuantity(5)
                    .setProductTotal(7)
                    .setVersion(100)
                    .setDeleted(false)
                    .setUpdatedAt(Instant.ofEpochMilli(1000))
                    .build();

    /** Magic byte, schema id 7 (big-endian), then StockLevel's Avro binary encoding. */
    private static final byte[] GOLDEN = {
        0x00,
        0x00,
        0x00,
        0x00,
        0x07, // header: magic byte 0, schema id 7
        0x04,
        'p',
        '1', // productId: length 2 (zig-zag 4), "p1"
        0x04,
        'w',
        '1', // warehouseId
        0x0A, // quantity 5
        0x0E, // productTotal 7
        (byte) 0xC8,
        0x01, // version 100 (zig-zag 200, varint)
        0x00, // deleted false
        (byte) 0xD0,
        0x0F // updatedAt 1000 ms (zig-zag 2000, varint)
    };

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient(7);

    @Test
    void encodesAKnownRecordToTheExactBytes() {
        byte[] bytes = serializer("stock-levels", SubjectNameStrategy.TOPIC_NAME).serialize(LEVEL);

        assertThat(bytes).containsExactly(GOLDEN);
        assertThat(registry.subjects()).containsExactly("stock-levels-value");
    }

    @Test
    void asksTheRegistryForTheSchemaIdOncePerSchemaNotPerRecord() {
        // Keying a cache by the schema's JSON on every record made encoding ~10x slower.
        RegistryAvroSerializationSchema<StockLevel> serializer =
                serializer("stock-levels", SubjectNameStrategy.TOPIC_NAME);
        for (int i = 0; i < 1000; i++) {
            assertThat(serializer.serialize(LEVEL)).containsExactly(GOLDEN);
        }

        assertThat(registry.idRequests()).isEqualTo(1);
    }

    @Test
    void decodesTheGoldenBytesBack() throws Exception {
        registry.register("stock-levels-value", StockLevel.getClassSchema());

        assertThat(deserializer().deserialize(GOLDEN)).isEqualTo(LEVEL);
    }

    @Test
    void subjectNamingStrategies() {
        serializer("t", SubjectNameStrategy.RECORD_NAME).serialize(LEVEL);
        serializer("t", SubjectNameStrategy.TOPIC_RECORD_NAME).serialize(LEVEL);

        assertThat(registry.subjects())
                .containsExactlyInAnyOrder(
                        "io.pipelinekit.schemas.inventory.StockLevel",
                        "t-io.pipelinekit.schemas.inventory.StockLevel");
        assertThat(SubjectNameStrategy.TOPIC_NAME.subject("t", true, StockLevel.getClassSchema()))
                .isEqualTo("t-key");
    }

    @Test
    void wrongMagicByteIsReportedWithItsReason() {
        byte[] plainAvro = Arrays.copyOf(GOLDEN, GOLDEN.length);
        plainAvro[0] = 0x04;

        assertThatThrownBy(() -> deserializer().deserialize(plainAvro))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_MAGIC_BYTE))
                .hasMessageContaining("0x04");
    }

    @Test
    void truncatedHeaderAndEmptyPayloadAreReportedWithTheirReason() {
        assertThatThrownBy(() -> deserializer().deserialize(new byte[] {0, 0, 0}))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED_HEADER));
        assertThatThrownBy(() -> deserializer().deserialize(new byte[0]))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED_HEADER));
    }

    @Test
    void unknownSchemaIdIsReportedWithItsReason() {
        assertThatThrownBy(() -> deserializer().deserialize(GOLDEN))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA_ID));
    }

    @Test
    void truncatedBodyFailsWithAnIoException() throws Exception {
        registry.register("stock-levels-value", StockLevel.getClassSchema());
        byte[] truncated = Arrays.copyOf(GOLDEN, 9);

        assertThatThrownBy(() -> deserializer().deserialize(truncated))
                .isInstanceOf(IOException.class);
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaFails() {
        SchemaCoder.SchemaCoderProvider lookupOnly =
                () ->
                        new ConfluentWireSchemaCoder(
                                registry, SubjectNameStrategy.TOPIC_NAME, "t", false, false);
        RegistryAvroSerializationSchema<StockLevel> serializer =
                RegistryAvroSerializationSchema.forSpecific(StockLevel.class, lookupOnly);

        assertThatThrownBy(() -> serializer.serialize(LEVEL))
                .hasRootCauseInstanceOf(SchemaRegistryException.class)
                .rootCause()
                .hasMessageContaining("not registered");
    }

    private RegistryAvroSerializationSchema<StockLevel> serializer(
            String topic, SubjectNameStrategy strategy) {
        return RegistryAvroSerializationSchema.forSpecific(
                StockLevel.class,
                () -> new ConfluentWireSchemaCoder(registry, strategy, topic, false, true));
    }

    private RegistryAvroDeserializationSchema<StockLevel> deserializer() {
        return new RegistryAvroDeserializationSchema<>(
                StockLevel.class,
                null,
                () ->
                        new ConfluentWireSchemaCoder(
                                registry, SubjectNameStrategy.TOPIC_NAME, "", false, true));
    }
}
