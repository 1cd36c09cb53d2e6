package io.pipelinekit.core.dlq;

import io.pipelinekit.core.formats.avro.internal.ConfluentWireSchemaCoder;
import io.pipelinekit.core.registry.InMemorySchemaRegistryClient;
import io.pipelinekit.core.registry.SubjectNameStrategy;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.dlq.KafkaSource;
import io.pipelinekit.schemas.inventory.StockLevel;
import io.pipelinekit.testkit.flink.SchemaContexts;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.RegistryAvroDeserializationSchema;
import org.apache.flink.formats.avro.RegistryAvroSerializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeadLetterKafkaDeserializerTest {

    private static final String SECRET = "hunter2";

    /** Parses "n=<number>" and fails on anything else, mentioning the secret in its message. */
    private static final DeserializationSchema<Integer> STRICT =
            new DeserializationSchema<>() {
                @Override
                public Integer deserialize(byte[] message) throws IOException {
                    String text = new String(message, StandardCharsets.UTF_8);
                    if (!text.startsWith("n=")) {
                        throw new IOException("cannot parse '" + text + "' with key " + SECRET);
                    }
                    return Integer.parseInt(text.substring(2));
                }

                @Override
                public boolean isEndOfStream(Integer nextElement) {
                    return false;
                }

                @Override
                public TypeInformation<Integer> getProducedType() {
                    return Types.INT;
                }
            };

    @Test
    void goodRecordsPassThrough() throws Exception {
        List<Either<DeadLetter, Integer>> out = run(policy().build(), record("n=42"));

        assertThat(out).containsExactly(Either.Right(42));
    }

    @Test
    void badRecordBecomesADeadLetterWithOriginalBytesCoordinatesAndReason() throws Exception {
        ConsumerRecord<byte[], byte[]> bad = record("garbage");
        bad.headers().add(new RecordHeader("trace-id", "t-1".getBytes(StandardCharsets.UTF_8)));
        bad.headers()
                .add(new RecordHeader("Authorization", SECRET.getBytes(StandardCharsets.UTF_8)));

        DeadLetter letter =
                single(
                        run(
                                policy().redactHeaders("authorization").maskSecrets(SECRET).build(),
                                bad));

        assertThat(letter.getStage()).isEqualTo(FailureStage.DESERIALIZE);
        assertThat(letter.getReason()).isEqualTo("DESERIALIZATION_ERROR");
        assertThat(letter.getValue().array()).isEqualTo("garbage".getBytes(StandardCharsets.UTF_8));
        assertThat(letter.getKey().array()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
        assertThat(letter.getPayloadEncoding()).isEqualTo("SOURCE_BYTES");
        KafkaSource source = (KafkaSource) letter.getSource();
        assertThat(source.getTopic()).isEqualTo("payments");
        assertThat(source.getPartition()).isEqualTo(3);
        assertThat(source.getOffset()).isEqualTo(17L);
        assertThat(source.getHeaders()).extracting(h -> h.getKey()).containsExactly("trace-id");
        assertThat(letter.getRedactedFields()).containsExactly("header:Authorization");
        assertThat(letter.getOperatorUid()).isEqualTo("payments-source");
        assertThat(letter.getJobName()).isEqualTo("test-job");
        assertThat(letter.getErrorClass()).isEqualTo(IOException.class.getName());
        assertThat(letter.getErrorMessage())
                .contains("garbage")
                .doesNotContain(SECRET)
                .contains("******");
        assertThat(letter.getStackTrace()).doesNotContain(SECRET);
        assertThat(letter.getAttempt()).isEqualTo(1);
    }

    @Test
    void overlappingSecretsAreMaskedWithoutRemainder() throws Exception {
        DeadLetterPolicy policy = policy().maskSecrets("hunter", SECRET).build();

        DeadLetter letter = single(run(policy, record("garbage")));

        assertThat(letter.getErrorMessage()).contains("with key ******").doesNotContain("2");
    }

    @Test
    void nullOversizedAndNullResultsHaveTheirReasons() throws Exception {
        DeserializationSchema<String> nullForEmpty = new NullForEmptySchema();
        DeadLetterKafkaDeserializer<String> deserializer =
                DeadLetterKafkaDeserializer.wrap(
                        nullForEmpty, policy().maxRecordBytes(10).build(), "src");

        List<Either<DeadLetter, String>> out = new ArrayList<>();
        deserializer.deserialize(record(null), collector(out));
        deserializer.deserialize(record("x".repeat(20)), collector(out));
        deserializer.deserialize(record(""), collector(out));

        assertThat(out).allMatch(Either::isLeft);
        assertThat(out)
                .extracting(e -> e.left().getReason())
                .containsExactly("NULL_VALUE", "OVERSIZED", "DESERIALIZED_TO_NULL");
        assertThat(out.get(0).left().getValue()).isNull();
    }

    @Test
    void aFailedRecordDoesNotPoisonTheNextOnes() throws Exception {
        // Flink's registry Avro deserializer reuses its decoder: after a truncated record the
        // decoder's buffer is corrupt and, unless reset, every following record fails too.
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient(1);
        RegistryAvroSerializationSchema<StockLevel> serializer =
                RegistryAvroSerializationSchema.forSpecific(
                        StockLevel.class,
                        () ->
                                new ConfluentWireSchemaCoder(
                                        registry,
                                        SubjectNameStrategy.TOPIC_NAME,
                                        "t",
                                        false,
                                        true));
        byte[] good = serializer.serialize(LEVEL);
        DeadLetterKafkaDeserializer<StockLevel> deserializer =
                DeadLetterKafkaDeserializer.wrap(
                        new RegistryAvroDeserializationSchema<>(
                                StockLevel.class,
                                null,
                                () ->
                                        new ConfluentWireSchemaCoder(
                                                registry,
                                                SubjectNameStrategy.TOPIC_NAME,
                                                "t",
                                                false,
                                                true)),
                        policy().build(),
                        "src");
        List<Either<DeadLetter, StockLevel>> out = new ArrayList<>();

        deserializer.deserialize(
                bytesRecord(java.util.Arrays.copyOf(good, good.length - 3)), collector(out));
        for (int i = 0; i < 3; i++) {
            deserializer.deserialize(bytesRecord(good), collector(out));
        }

        assertThat(out.get(0).left().getReason()).isEqualTo("TRUNCATED_PAYLOAD");
        assertThat(out.subList(1, 4)).allSatisfy(e -> assertThat(e.right()).isEqualTo(LEVEL));
    }

    @Test
    void afterAFailureTheDeserializerIsReplacedByAFreshlyOpenedCopy() throws Exception {
        OpenCounting.opens.set(0);
        DeadLetterKafkaDeserializer<Integer> deserializer =
                DeadLetterKafkaDeserializer.wrap(new OpenCounting(), policy().build(), "src");
        deserializer.open(SchemaContexts.deserialization());
        List<Either<DeadLetter, Integer>> out = new ArrayList<>();

        deserializer.deserialize(record("bad"), collector(out));
        deserializer.deserialize(record("n=3"), collector(out));

        assertThat(OpenCounting.opens.get()).isEqualTo(2);
        assertThat(out.get(1)).isEqualTo(Either.Right(3));
    }

    /** Counts open() calls; parses like STRICT. */
    private static final class OpenCounting implements DeserializationSchema<Integer> {
        private static final long serialVersionUID = 1L;
        static final java.util.concurrent.atomic.AtomicInteger opens =
                new java.util.concurrent.atomic.AtomicInteger();
        private transient boolean opened;

        @Override
        public void open(InitializationContext context) {
            opened = true;
            opens.incrementAndGet();
        }

        @Override
        public Integer deserialize(byte[] message) throws IOException {
            if (!opened) {
                throw new IllegalStateException("used without open()");
            }
            return STRICT.deserialize(message);
        }

        @Override
        public boolean isEndOfStream(Integer nextElement) {
            return false;
        }

        @Override
        public TypeInformation<Integer> getProducedType() {
            return Types.INT;
        }
    }

    @Test
    void skipAndCountDropsWithoutDeadLetter() throws Exception {
        DeadLetterPolicy skip =
                policy().onFailure(FailureStage.DESERIALIZE, FailureAction.SKIP_AND_COUNT).build();

        assertThat(run(skip, record("bad"), record("n=1"))).containsExactly(Either.Right(1));
    }

    @Test
    void failActionFailsWithTheCoordinates() {
        DeadLetterPolicy fail =
                policy().onFailure(FailureStage.DESERIALIZE, FailureAction.FAIL).build();

        assertThatThrownBy(() -> run(fail, record("bad")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("payments-3@17")
                .hasMessageContaining("DESERIALIZATION_ERROR");
    }

    @Test
    void toleranceFailsTheJobNamingTheCause() throws Exception {
        DeadLetterPolicy tolerant = policy().tolerance(3, Duration.ofMinutes(1)).build();
        DeadLetterKafkaDeserializer<Integer> deserializer =
                DeadLetterKafkaDeserializer.wrap(STRICT, tolerant, "payments-source");
        List<Either<DeadLetter, Integer>> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            deserializer.deserialize(record("bad"), collector(out));
        }
        assertThat(out).hasSize(3);

        assertThatThrownBy(() -> deserializer.deserialize(record("bad"), collector(out)))
                .isInstanceOf(DeadLetterToleranceExceededException.class)
                .hasMessageContaining("More than 3 records failed")
                .hasMessageContaining("payments-source")
                .hasMessageContaining("DESERIALIZE/DESERIALIZATION_ERROR (4 times)");
    }

    @Test
    void policyValidationSaysWhatToChange() {
        assertThatThrownBy(() -> policy().tolerance(0, Duration.ofMinutes(1)).build())
                .hasMessageContaining("onFailure(stage, FAIL)");
        assertThatThrownBy(() -> DeadLetterPolicy.builder(" ").build())
                .hasMessageContaining("job's name");
    }

    /** Returns null for empty input, as some deserializers do instead of failing. */
    private static final class NullForEmptySchema extends SimpleStringSchema {
        private static final long serialVersionUID = 1L;

        @Override
        public String deserialize(byte[] message) {
            return message.length == 0 ? null : super.deserialize(message);
        }
    }

    private static DeadLetterPolicy.Builder policy() {
        return DeadLetterPolicy.builder("test-job");
    }

    @SafeVarargs
    private static List<Either<DeadLetter, Integer>> run(
            DeadLetterPolicy policy, ConsumerRecord<byte[], byte[]>... records) throws IOException {
        DeadLetterKafkaDeserializer<Integer> deserializer =
                DeadLetterKafkaDeserializer.wrap(STRICT, policy, "payments-source");
        List<Either<DeadLetter, Integer>> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            deserializer.deserialize(record, collector(out));
        }
        return out;
    }

    private static DeadLetter single(List<Either<DeadLetter, Integer>> out) {
        assertThat(out).hasSize(1);
        assertThat(out.get(0).isLeft()).isTrue();
        return out.get(0).left();
    }

    private static final StockLevel LEVEL =
            StockLevel.newBuilder()
                    .setProductId("p1")
                    .setWarehouseId("w1")
                    .setQuantity(5)
                    .setProductTotal(7)
                    .setVersion(100)
                    .setUpdatedAt(java.time.Instant.ofEpochMilli(1000))
                    .build();

    private static ConsumerRecord<byte[], byte[]> bytesRecord(byte[] value) {
        return new ConsumerRecord<>(
                "t",
                0,
                0L,
                0L,
                TimestampType.CREATE_TIME,
                0,
                value.length,
                null,
                value,
                new RecordHeaders(),
                Optional.empty());
    }

    private static ConsumerRecord<byte[], byte[]> record(String value) {
        return new ConsumerRecord<>(
                "payments",
                3,
                17L,
                1_700_000_000_000L,
                TimestampType.CREATE_TIME,
                1,
                value == null ? 0 : value.length(),
                "k".getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8),
                new RecordHeaders(),
                Optional.empty());
    }

    private static <T> Collector<T> collector(List<T> out) {
        return new Collector<>() {
            @Override
            public void collect(T record) {
                out.add(record);
            }

            @Override
            public void close() {}
        };
    }
}
