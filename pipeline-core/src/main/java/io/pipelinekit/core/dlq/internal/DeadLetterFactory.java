package io.pipelinekit.core.dlq.internal;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.schemas.dlq.DeadLetter;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.dlq.Header;
import io.pipelinekit.schemas.dlq.KafkaSource;

import org.apache.flink.annotation.Internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Builds {@link DeadLetter} envelopes under a {@link DeadLetterPolicy}. */
@Internal
public final class DeadLetterFactory {

    public static final String SOURCE_BYTES = "SOURCE_BYTES";
    private static final String MASK = "******";

    private final DeadLetterPolicy policy;
    private final String operatorUid;
    private final PayloadEncoder encoder;

    public DeadLetterFactory(DeadLetterPolicy policy, String operatorUid) {
        this.policy = policy;
        this.operatorUid = operatorUid;
        this.encoder = new PayloadEncoder(policy.redactedFields());
    }

    /** A dead letter for a Kafka record, with its original bytes and coordinates. */
    public DeadLetter fromKafka(
            ConsumerRecord<byte[], byte[]> record,
            FailureStage stage,
            String reason,
            String message,
            Throwable error) {
        List<Header> headers = new ArrayList<>();
        List<String> redacted = new ArrayList<>();
        for (org.apache.kafka.common.header.Header header : record.headers()) {
            if (policy.redactedHeaders().contains(header.key().toLowerCase(Locale.ROOT))) {
                redacted.add("header:" + header.key());
            } else {
                headers.add(
                        new Header(
                                header.key(),
                                header.value() == null ? null : ByteBuffer.wrap(header.value())));
            }
        }
        KafkaSource source =
                KafkaSource.newBuilder()
                        .setTopic(record.topic())
                        .setPartition(record.partition())
                        .setOffset(record.offset())
                        .setTimestamp(Instant.ofEpochMilli(Math.max(0, record.timestamp())))
                        .setHeaders(headers)
                        .build();
        return base(stage, reason, message, error)
                .setAttempt(previousAttempts(record) + 1)
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setPayloadEncoding(SOURCE_BYTES)
                .setSource(source)
                .setRedactedFields(new ArrayList<>(redacted))
                .build();
    }

    /**
     * A dead letter for an operator's input (no source record at hand): the input is encoded by
     * {@link PayloadEncoder}, redacted fields masked.
     */
    public DeadLetter fromInput(
            Object input, FailureStage stage, String reason, String message, Throwable error) {
        PayloadEncoder.Payload payload = encoder.encode(input);
        return base(stage, reason, message, error)
                .setValue(payload.bytes == null ? null : ByteBuffer.wrap(payload.bytes))
                .setPayloadEncoding(payload.encoding)
                .setSource(null)
                .setRedactedFields(new ArrayList<>(payload.redacted))
                .build();
    }

    /** Failures before this one, as a replayed record's attempt header says (0 when fresh). */
    private static int previousAttempts(ConsumerRecord<byte[], byte[]> record) {
        org.apache.kafka.common.header.Header header =
                record.headers()
                        .lastHeader(io.pipelinekit.core.dlq.DeadLetterReplay.ATTEMPT_HEADER);
        if (header == null || header.value() == null) {
            return 0;
        }
        try {
            return Math.max(
                    0,
                    Integer.parseInt(
                            new String(header.value(), java.nio.charset.StandardCharsets.UTF_8)
                                    .trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private DeadLetter.Builder base(
            FailureStage stage, String reason, String message, Throwable error) {
        return DeadLetter.newBuilder()
                .setId(UUID.randomUUID())
                .setStage(stage)
                .setReason(reason)
                .setOperatorUid(operatorUid)
                .setJobName(policy.jobName())
                .setErrorClass(error == null ? null : error.getClass().getName())
                .setErrorMessage(
                        mask(message != null ? message : error == null ? null : error.getMessage()))
                .setStackTrace(error == null ? null : truncate(mask(stackTrace(error))))
                .setAttempt(1)
                .setFailedAt(Instant.now());
    }

    private String mask(String text) {
        if (text == null) {
            return null;
        }
        String masked = text;
        // Longest first: a secret that contains another must not leave a remainder behind.
        java.util.List<String> secrets = new java.util.ArrayList<>(policy.maskedSecrets());
        secrets.sort(java.util.Comparator.comparingInt(String::length).reversed());
        for (String secret : secrets) {
            masked = masked.replace(secret, MASK);
        }
        return masked;
    }

    private String truncate(String text) {
        int max = policy.maxStackTraceLength();
        return text.length() <= max ? text : text.substring(0, max) + "\n\t... (truncated)";
    }

    private static String stackTrace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
