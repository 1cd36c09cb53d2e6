package io.pipelinekit.core.checkpoint;

import io.pipelinekit.core.kafka.internal.TransactionTimeouts;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.transformations.PhysicalTransformation;
import org.apache.flink.streaming.api.transformations.SinkTransformation;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * Checks a job before {@code execute()} for mistakes that otherwise show up only in production:
 * operators without a stable uid (state cannot be restored after a change), and exactly-once Kafka
 * sinks whose transaction timeout does not fit the checkpointing (the broker aborts the transaction
 * and the records are lost) or whose transactional-id prefix is not unique.
 *
 * <pre>{@code
 * settings.applyTo(env);
 * // build the job
 * PipelineValidator.validate(env, settings);
 * env.execute("inventory-sync");
 * }</pre>
 */
@PublicEvolving
public final class PipelineValidator {

    /** The broker's default {@code transaction.max.timeout.ms}. */
    public static final Duration DEFAULT_BROKER_MAX_TRANSACTION_TIMEOUT =
            TransactionTimeouts.DEFAULT_BROKER_MAX;

    /** Kafka's producer default {@code transaction.timeout.ms} when a sink does not set one. */
    private static final Duration PRODUCER_DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(1);

    private PipelineValidator() {}

    /** Validates against brokers with the default maximum transaction timeout (15 min). */
    public static void validate(StreamExecutionEnvironment env, CheckpointSettings settings) {
        validate(env, settings, DEFAULT_BROKER_MAX_TRANSACTION_TIMEOUT);
    }

    /** Fails with every problem found, each with what to change. */
    public static void validate(
            StreamExecutionEnvironment env,
            CheckpointSettings settings,
            Duration brokerMaxTransactionTimeout) {
        Objects.requireNonNull(settings, "settings");
        List<String> problems = new ArrayList<>();
        Set<Transformation<?>> all = new LinkedHashSet<>();
        for (Transformation<?> t : env.getTransformations()) {
            all.addAll(t.getTransitivePredecessors());
        }
        if (all.isEmpty()) {
            problems.add(
                    "The job has no operators: build it on this environment before validating.");
        }
        Map<String, String> prefixes = new HashMap<>();
        for (Transformation<?> t : all) {
            boolean operator =
                    t instanceof PhysicalTransformation || t instanceof SinkTransformation;
            boolean hasUid =
                    (t.getUid() != null && !t.getUid().isBlank())
                            || t.getUserProvidedNodeHash() != null;
            if (operator && !hasUid) {
                problems.add(
                        "Operator '"
                                + t.getName()
                                + "' has no uid: give it .uid(\"...\") (and .name(\"...\")), or its"
                                + " state cannot be restored after the job changes.");
            }
            if (t instanceof SinkTransformation) {
                Sink<?> sink = ((SinkTransformation<?, ?>) t).getSink();
                if (sink instanceof KafkaSink) {
                    checkKafkaSink(
                            t.getName(),
                            (KafkaSink<?>) sink,
                            settings,
                            brokerMaxTransactionTimeout,
                            prefixes,
                            problems);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidPipelineException(problems);
        }
    }

    private static void checkKafkaSink(
            String name,
            KafkaSink<?> sink,
            CheckpointSettings settings,
            Duration brokerMax,
            Map<String, String> prefixes,
            List<String> problems) {
        DeliveryGuarantee guarantee = (DeliveryGuarantee) field(sink, "deliveryGuarantee");
        if (guarantee != DeliveryGuarantee.EXACTLY_ONCE) {
            return;
        }
        String prefix = (String) field(sink, "transactionalIdPrefix");
        String other = prefixes.put(prefix, name);
        if (other != null) {
            problems.add(
                    "Exactly-once Kafka sinks '"
                            + other
                            + "' and '"
                            + name
                            + "' share the transactional-id prefix '"
                            + prefix
                            + "': they would fence each other's transactions. Give each sink (and"
                            + " each job) its own prefix.");
        }
        Properties config = (Properties) field(sink, "kafkaProducerConfig");
        Object configured = config.get("transaction.timeout.ms");
        Duration timeout =
                configured == null
                        ? PRODUCER_DEFAULT_TRANSACTION_TIMEOUT
                        : Duration.ofMillis(Long.parseLong(configured.toString()));
        TransactionTimeouts.check(name, timeout, settings, brokerMax, problems);
    }

    /** KafkaSink exposes no getters; its fields are stable across connector 3.x releases. */
    private static Object field(Object target, String name) {
        try {
            Field field = target.getClass().getDeclaredField(name);
            field.setAccessible(true);
            return field.get(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "Cannot inspect "
                            + target.getClass().getName()
                            + "."
                            + name
                            + ": is flink-connector-kafka a version this validator knows (3.x)?",
                    e);
        }
    }
}
