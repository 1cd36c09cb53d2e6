package io.pipelinekit.core.formats.avro;

import io.pipelinekit.core.registry.SchemaRegistryClient;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.SampleRecords;
import io.pipelinekit.testkit.flink.CollectingSink;
import io.pipelinekit.testkit.flink.FlinkTestCluster;
import io.pipelinekit.testkit.junit5.FlinkClusterExtension;
import io.pipelinekit.testkit.junit5.KafkaExtension;
import io.pipelinekit.testkit.junit5.SchemaRegistryExtension;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A producer moves to v2 of the payment contract (a new optional field) while another stays on v1;
 * a job compiled against v1 reads both through Kafka and the registry.
 */
class SchemaEvolutionITCase {

    private static final int PER_PRODUCER = 200;

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final SchemaRegistryExtension REGISTRY = new SchemaRegistryExtension();

    @RegisterExtension
    static final FlinkClusterExtension FLINK =
            new FlinkClusterExtension(FlinkTestCluster.builder().slotsPerTaskManager(2));

    @Test
    void jobOnV1ReadsRecordsOfV1AndV2Producers() throws Exception {
        String topic = KAFKA.service().createUniqueTopic("payments", 2);
        Configuration registry = new Configuration();
        registry.set(SchemaRegistryOptions.URL, REGISTRY.registry().url());
        String subject = topic + "-value";
        SchemaRegistryClient.create(registry)
                .register(subject, PaymentTransaction.getClassSchema());
        SchemaRegistryClient.create(registry).setCompatibility(subject, "FULL_TRANSITIVE");

        List<String> expectedIds = new ArrayList<>();
        SerializationSchema<PaymentTransaction> v1 =
                ConfluentAvro.serializer(PaymentTransaction.class, topic, registry);
        Schema v2Schema = v2Schema();
        SerializationSchema<GenericRecord> v2 =
                ConfluentAvro.genericSerializer(v2Schema, topic, registry);
        v1.open(null);
        v2.open(null);
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.service().producer(Map.of())) {
            for (int i = 0; i < PER_PRODUCER; i++) {
                PaymentTransaction old = SampleRecords.payment(i);
                expectedIds.add(old.getTransactionId().toString());
                producer.send(record(topic, old.getCardId(), v1.serialize(old)));

                GenericRecord newer = v2Record(v2Schema, SampleRecords.payment(PER_PRODUCER + i));
                expectedIds.add(newer.get("transactionId").toString());
                producer.send(record(topic, "card-" + i, v2.serialize(newer)));
            }
        }
        assertThat(SchemaRegistryClient.create(registry).versions(subject)).containsExactly(1, 2);

        CollectingSink<String> read = CollectingSink.create();
        StreamExecutionEnvironment env = FLINK.cluster().environment(2);
        env.fromSource(
                        KafkaSource.<PaymentTransaction>builder()
                                .setBootstrapServers(KAFKA.bootstrapServers())
                                .setTopics(topic)
                                .setGroupId("evolution")
                                .setStartingOffsets(OffsetsInitializer.earliest())
                                .setBounded(OffsetsInitializer.latest())
                                .setValueOnlyDeserializer(
                                        ConfluentAvro.deserializer(
                                                PaymentTransaction.class, registry))
                                .build(),
                        WatermarkStrategy.noWatermarks(),
                        "payments")
                .uid("payments")
                .map(
                        t ->
                                t.getTransactionId()
                                        + "|"
                                        + t.getAmount().toPlainString()
                                        + "|"
                                        + t.getChannel())
                .returns(Types.STRING)
                .uid("describe")
                .name("describe")
                .sinkTo(read)
                .uid("collect")
                .name("collect");
        FLINK.cluster().submit(env, "evolution").getJobExecutionResult().get();

        List<String> values = read.values();
        assertThat(values).hasSize(2 * PER_PRODUCER);
        assertThat(values.stream().map(v -> v.substring(0, v.indexOf('|'))))
                .containsExactlyInAnyOrderElementsOf(expectedIds);
        // Fields common to both versions arrive intact from the v2 producer.
        assertThat(values)
                .contains(
                        SampleRecords.payment(PER_PRODUCER + 7).getTransactionId()
                                + "|17.5000|ECOMMERCE");
    }

    /** v2: everything of v1 plus an optional risk score. */
    private static Schema v2Schema() {
        String v1 = PaymentTransaction.getClassSchema().toString();
        return new Schema.Parser()
                .parse(
                        v1.substring(0, v1.lastIndexOf(']'))
                                + ",{\"name\":\"riskScore\",\"type\":[\"null\",\"double\"],\"default\":null,\"doc\":\"Score"
                                + " from the gateway's own risk engine, when it has one.\"}]}");
    }

    private static GenericRecord v2Record(Schema schema, PaymentTransaction t) {
        GenericData.Record record = new GenericData.Record(schema);
        for (Schema.Field field : PaymentTransaction.getClassSchema().getFields()) {
            record.put(field.name(), t.get(field.name()));
        }
        // Generic records carry Avro's raw representations of logical types.
        record.put("transactionId", t.getTransactionId().toString());
        record.put("amount", ByteBuffer.wrap(t.getAmount().unscaledValue().toByteArray()));
        record.put(
                "channel",
                new GenericData.EnumSymbol(
                        schema.getField("channel").schema(), t.getChannel().name()));
        record.put("eventTime", t.getEventTime().toEpochMilli());
        record.put("riskScore", 0.25);
        return record;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }
}
