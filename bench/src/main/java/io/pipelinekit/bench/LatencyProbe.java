package io.pipelinekit.bench;

import io.pipelinekit.bench.jobs.Passthrough;
import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.flink.SchemaContexts;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measurement 6: end-to-end latency of the passthrough job, event timestamp (set when the payment
 * is produced) to the moment a consumer (read_committed for exactly-once) sees the output, at a
 * fixed offered rate.
 */
final class LatencyProbe {

    /** Latencies of one run, in milliseconds. */
    record Result(
            String guarantee,
            long checkpointMillis,
            double offeredPerSecond,
            double achievedPerSecond,
            long measured,
            long p50,
            long p99,
            long max) {}

    private final BenchServices services;
    private final List<PaymentTransaction> templates;

    LatencyProbe(BenchServices services, List<PaymentTransaction> templates) {
        this.services = services;
        this.templates = templates;
    }

    Result run(String guarantee, long checkpointMillis, double rate, Duration duration)
            throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String input = services.createTopic("bench.live", 2);
        String output = services.createTopic("bench.live-out", 2);
        String job =
                services.submitPassthrough(
                        input, output, "latency-" + run, guarantee, checkpointMillis);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong produced = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long warmUpEnds = System.currentTimeMillis() + 5_000;
        Thread producer =
                new Thread(() -> produce(input, rate, stop, produced, failure), "latency-producer");
        List<Long> latencies = new ArrayList<>();
        long measureStart = 0;
        long producedAtStart = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                services.kafka.consumer("EXACTLY_ONCE".equals(guarantee))) {
            List<TopicPartition> partitions =
                    List.of(new TopicPartition(output, 0), new TopicPartition(output, 1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            DeserializationSchema<PaymentTransaction> decoder =
                    ConfluentAvro.deserializer(PaymentTransaction.class, services.registryConfig());
            decoder.open(SchemaContexts.deserialization());
            producer.start();
            long end = System.currentTimeMillis() + 5_000 + duration.toMillis();
            while (System.currentTimeMillis() < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.currentTimeMillis();
                    long eventTime =
                            decoder.deserialize(record.value()).getEventTime().toEpochMilli();
                    if (eventTime >= warmUpEnds) {
                        if (measureStart == 0) {
                            measureStart = now;
                            producedAtStart = produced.get();
                        }
                        latencies.add(now - eventTime);
                    }
                }
                if (failure.get() != null) {
                    throw failure.get();
                }
                services.checkHealthy(job);
            }
        } finally {
            stop.set(true);
            producer.join(10_000);
            services.cancel(job);
            services.deleteTopics(input, output);
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double seconds = (System.currentTimeMillis() - measureStart) / 1000.0;
        Result result =
                new Result(
                        guarantee,
                        checkpointMillis,
                        rate,
                        (produced.get() - producedAtStart) / seconds,
                        sorted.length,
                        Stats.percentile(sorted, 50),
                        Stats.percentile(sorted, 99),
                        sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
        System.out.printf(
                "    latency %-13s @ %s, %,.0f/s offered: p50 %d ms, p99 %d ms, max %d ms (%,d"
                        + " records)%n",
                guarantee,
                Report.interval(checkpointMillis),
                rate,
                result.p50(),
                result.p99(),
                result.max(),
                result.measured());
        return result;
    }

    private void produce(
            String topic,
            double rate,
            AtomicBoolean stop,
            AtomicLong produced,
            AtomicReference<Exception> failure) {
        try (KafkaProducer<byte[], byte[]> producer = services.kafka.producer(Map.of())) {
            SerializationSchema<PaymentTransaction> encoder =
                    ConfluentAvro.serializer(
                            PaymentTransaction.class, topic, services.registryConfig());
            encoder.open(null);
            long start = System.nanoTime();
            long sent = 0;
            while (!stop.get()) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
                if (sent >= due) {
                    Thread.sleep(1);
                    continue;
                }
                PaymentTransaction tx =
                        PaymentTransaction.newBuilder(
                                        templates.get((int) (sent % templates.size())))
                                .setEventTime(Instant.now())
                                .build();
                producer.send(
                        new ProducerRecord<>(topic, Passthrough.key(tx), encoder.serialize(tx)));
                sent++;
                produced.set(sent);
            }
        } catch (Exception e) {
            failure.compareAndSet(null, e);
        }
    }
}
