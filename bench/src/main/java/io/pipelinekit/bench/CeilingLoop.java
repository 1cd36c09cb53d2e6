package io.pipelinekit.bench;

import io.pipelinekit.bench.jobs.Passthrough;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.registry.SchemaRegistryOptions;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.SchemaContexts;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.Configuration;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The ceiling: the passthrough's work (consume, decode the wire format, map, encode, produce) as a
 * plain single-threaded Kafka client loop, no Flink; run in a JVM of its own so its CPU time and
 * memory are its own. Prints {@code progress <records>} lines for the harness.
 */
final class CeilingLoop {

    private CeilingLoop() {}

    /** Arguments: bootstrap servers, registry URL, input topic, output topic, records to copy. */
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        Configuration registry = new Configuration();
        registry.set(SchemaRegistryOptions.URL, args[1]);
        String input = args[2];
        String output = args[3];
        long expected = Long.parseLong(args[4]);

        DeserializationSchema<PaymentTransaction> decoder =
                ConfluentAvro.deserializer(PaymentTransaction.class, registry);
        decoder.open(SchemaContexts.deserialization());
        SerializationSchema<PaymentTransaction> encoder =
                ConfluentAvro.serializer(PaymentTransaction.class, output, registry);
        encoder.open(null);

        Map<String, Object> consumerConfig =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                        ByteArrayDeserializer.class,
                        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                        ByteArrayDeserializer.class);
        Map<String, Object> producerConfig =
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        AtomicReference<Exception> sendError = new AtomicReference<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo partition : consumer.partitionsFor(input)) {
                partitions.add(new TopicPartition(input, partition.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long done = 0;
            long lastReport = 0;
            while (done < expected) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(100))) {
                    PaymentTransaction tx =
                            Passthrough.normalize(decoder.deserialize(record.value()));
                    producer.send(
                            new ProducerRecord<>(
                                    output, Passthrough.key(tx), encoder.serialize(tx)),
                            (metadata, error) -> {
                                if (error != null) {
                                    sendError.compareAndSet(null, error);
                                }
                            });
                    done++;
                }
                if (sendError.get() != null) {
                    throw sendError.get();
                }
                long now = System.nanoTime();
                if (now - lastReport > 100_000_000L) {
                    lastReport = now;
                    System.out.println("progress " + done);
                }
            }
            producer.flush();
            System.out.println("progress " + done);
        }
    }
}
