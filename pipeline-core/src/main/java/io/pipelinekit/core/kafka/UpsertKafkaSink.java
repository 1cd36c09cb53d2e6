package io.pipelinekit.core.kafka;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.util.function.SerializableFunction;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Builds at-least-once {@link KafkaSink}s for compacted topics: the record key is the entity key,
 * deletes are tombstones (null values), and each record carries its version in the {@code
 * pk.version} header.
 *
 * <p>After a failure some records are written again; consumers that keep the latest value per key
 * (or ignore versions they have already seen) end in the same state as after a single run, and
 * compaction keeps the topic at one record per key. No transactions, so readers need no {@code
 * read_committed} and see records without waiting for checkpoints.
 *
 * <pre>{@code
 * KafkaSink<StockLevel> levels =
 *         UpsertKafkaSink.<StockLevel>builder()
 *                 .kafkaProperties(KafkaFactories.clientProperties(config))
 *                 .topic("inventory.stock-levels")
 *                 .key(level -> level.getProductId() + "/" + level.getWarehouseId())
 *                 .value(ConfluentAvro.serializer(registry, StockLevel.class, subject))
 *                 .version(StockLevel::getVersion)
 *                 .deleteWhen(StockLevel::getDeleted)
 *                 .build();
 * }</pre>
 */
@PublicEvolving
public final class UpsertKafkaSink {

    /** The header with the record's version as decimal text. */
    public static final String VERSION_HEADER = "pk.version";

    private UpsertKafkaSink() {}

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** Builder of an upsert {@link KafkaSink}. */
    @PublicEvolving
    public static final class Builder<T> {
        private Properties properties;
        private String topic;
        private SerializableFunction<T, String> key;
        private SerializationSchema<T> value;
        private SerializableFunction<T, Long> version;
        private SerializableFunction<T, Boolean> deleteWhen;
        private boolean requireCompacted = true;

        private Builder() {}

        /** Connection and security, e.g. {@link KafkaFactories#clientProperties}. */
        public Builder<T> kafkaProperties(Properties properties) {
            Objects.requireNonNull(properties, "properties");
            this.properties = new Properties();
            this.properties.putAll(properties);
            return this;
        }

        public Builder<T> topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /** The entity key (UTF-8 record key): the unit of compaction and of partitioning. */
        public Builder<T> key(SerializableFunction<T, String> key) {
            this.key = Objects.requireNonNull(key, "key");
            return this;
        }

        public Builder<T> value(SerializationSchema<T> value) {
            this.value = Objects.requireNonNull(value, "value");
            return this;
        }

        /** The record's version, written to the {@value #VERSION_HEADER} header. */
        public Builder<T> version(SerializableFunction<T, Long> version) {
            this.version = Objects.requireNonNull(version, "version");
            return this;
        }

        /** Which records are deletes: written as tombstones (key, null value). */
        public Builder<T> deleteWhen(SerializableFunction<T, Boolean> isDelete) {
            this.deleteWhen = Objects.requireNonNull(isDelete, "deleteWhen");
            return this;
        }

        /**
         * Whether build() checks that the topic exists with {@code cleanup.policy=compact} (default
         * true); without compaction the topic grows with every update.
         */
        public Builder<T> requireCompactedTopic(boolean check) {
            this.requireCompacted = check;
            return this;
        }

        public KafkaSink<T> build() {
            List<String> problems = new ArrayList<>();
            if (properties == null || properties.getProperty("bootstrap.servers") == null) {
                problems.add("kafkaProperties(...) with bootstrap.servers is missing");
            }
            if (topic == null || topic.isBlank()) {
                problems.add("topic(...) is missing");
            }
            if (key == null) {
                problems.add(
                        "key(record -> ...) is missing: an upsert topic is keyed by the entity"
                                + " key, or compaction and consumers cannot tell updates apart");
            }
            if (value == null) {
                problems.add("value(serializationSchema) is missing");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "Upsert Kafka sink is not complete:\n  - "
                                + String.join("\n  - ", problems));
            }
            if (requireCompacted) {
                checkCompacted(properties, topic);
            }
            return KafkaSink.<T>builder()
                    .setBootstrapServers(properties.getProperty("bootstrap.servers"))
                    .setKafkaProducerConfig(properties)
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .setRecordSerializer(
                            new UpsertSerializer<>(topic, key, value, version, deleteWhen))
                    .build();
        }

        private static void checkCompacted(Properties properties, String topic) {
            String policy;
            try (Admin admin = Admin.create(properties)) {
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                Config config =
                        admin.describeConfigs(List.of(resource))
                                .all()
                                .get(30, TimeUnit.SECONDS)
                                .get(resource);
                ConfigEntry entry = config.get("cleanup.policy");
                policy = entry == null ? "delete" : entry.value();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalArgumentException(
                        "Cannot check that topic '"
                                + topic
                                + "' is compacted ("
                                + e
                                + "): create it with cleanup.policy=compact, or skip the check"
                                + " with requireCompactedTopic(false).",
                        e);
            }
            if (!policy.contains("compact")) {
                throw new IllegalArgumentException(
                        "Topic '"
                                + topic
                                + "' has cleanup.policy="
                                + policy
                                + ": an upsert topic needs compaction, or it keeps every update"
                                + " forever. Run: kafka-configs.sh --alter --entity-type topics"
                                + " --entity-name "
                                + topic
                                + " --add-config cleanup.policy=compact");
            }
        }
    }

    private static final class UpsertSerializer<T> implements KafkaRecordSerializationSchema<T> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final SerializableFunction<T, String> key;
        private final SerializationSchema<T> value;
        private final SerializableFunction<T, Long> version;
        private final SerializableFunction<T, Boolean> deleteWhen;

        UpsertSerializer(
                String topic,
                SerializableFunction<T, String> key,
                SerializationSchema<T> value,
                SerializableFunction<T, Long> version,
                SerializableFunction<T, Boolean> deleteWhen) {
            this.topic = topic;
            this.key = key;
            this.value = value;
            this.version = version;
            this.deleteWhen = deleteWhen;
        }

        @Override
        public void open(
                SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext)
                throws Exception {
            value.open(context);
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                T record, KafkaSinkContext context, Long timestamp) {
            String entityKey =
                    Objects.requireNonNull(key.apply(record), "the upsert key of a record");
            boolean delete = deleteWhen != null && Boolean.TRUE.equals(deleteWhen.apply(record));
            ProducerRecord<byte[], byte[]> out =
                    new ProducerRecord<>(
                            topic,
                            null,
                            timestamp,
                            entityKey.getBytes(StandardCharsets.UTF_8),
                            delete ? null : value.serialize(record));
            if (version != null) {
                out.headers()
                        .add(
                                new RecordHeader(
                                        VERSION_HEADER,
                                        Long.toString(version.apply(record))
                                                .getBytes(StandardCharsets.UTF_8)));
            }
            return out;
        }
    }
}
