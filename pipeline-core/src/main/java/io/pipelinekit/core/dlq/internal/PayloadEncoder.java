package io.pipelinekit.core.dlq.internal;

import org.apache.flink.annotation.Internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Encodes an operator's input for a dead letter: Avro records as Avro binary (or as JSON with
 * redacted fields masked), bytes as they are, text as UTF-8, anything else as JSON.
 */
@Internal
public final class PayloadEncoder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Set<String> redactedFields;

    public PayloadEncoder(Set<String> redactedFields) {
        this.redactedFields = redactedFields;
    }

    /** The encoded payload and how it was encoded. */
    public static final class Payload {
        public final byte[] bytes;
        public final String encoding;
        public final java.util.List<String> redacted;

        Payload(byte[] bytes, String encoding, java.util.List<String> redacted) {
            this.bytes = bytes;
            this.encoding = encoding;
            this.redacted = redacted;
        }
    }

    public Payload encode(Object input) {
        if (input == null) {
            return new Payload(null, "NULL", java.util.List.of());
        }
        if (input instanceof byte[]) {
            return new Payload((byte[]) input, "BYTES", java.util.List.of());
        }
        if (input instanceof CharSequence) {
            return new Payload(
                    input.toString().getBytes(StandardCharsets.UTF_8), "UTF8", java.util.List.of());
        }
        if (input instanceof GenericContainer
                && ((GenericContainer) input).getSchema().getType() == Schema.Type.RECORD) {
            Schema schema = ((GenericContainer) input).getSchema();
            java.util.List<String> present = new java.util.ArrayList<>();
            collectRedacted(schema, "", present, new java.util.HashSet<>());
            if (present.isEmpty()) {
                return new Payload(
                        avroBinary(input, schema),
                        "avro:" + schema.getFullName(),
                        java.util.List.of());
            }
            return new Payload(redactedJson(input), "json:" + schema.getFullName(), present);
        }
        try {
            return new Payload(
                    JSON.writeValueAsBytes(input),
                    "json:" + input.getClass().getName(),
                    java.util.List.of());
        } catch (IOException e) {
            return new Payload(
                    String.valueOf(input).getBytes(StandardCharsets.UTF_8),
                    "toString:" + input.getClass().getName(),
                    java.util.List.of());
        }
    }

    private void collectRedacted(
            Schema schema, String path, java.util.List<String> out, java.util.Set<String> seen) {
        switch (schema.getType()) {
            case RECORD:
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                for (Schema.Field field : schema.getFields()) {
                    String fieldPath = path.isEmpty() ? field.name() : path + "." + field.name();
                    if (redactedFields.contains(field.name())) {
                        out.add(fieldPath);
                    } else {
                        collectRedacted(field.schema(), fieldPath, out, seen);
                    }
                }
                break;
            case UNION:
                schema.getTypes().forEach(t -> collectRedacted(t, path, out, seen));
                break;
            case ARRAY:
                collectRedacted(schema.getElementType(), path, out, seen);
                break;
            case MAP:
                collectRedacted(schema.getValueType(), path, out, seen);
                break;
            default:
                break;
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] avroBinary(Object record, Schema schema) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            GenericDatumWriter writer =
                    record instanceof SpecificRecord
                            ? new SpecificDatumWriter<>(
                                    schema, SpecificData.getForClass(record.getClass()))
                            : new GenericDatumWriter<>(schema);
            writer.write(record, encoder);
            encoder.flush();
            return bytes.toByteArray();
        } catch (IOException | RuntimeException e) {
            return String.valueOf(record).getBytes(StandardCharsets.UTF_8);
        }
    }

    private byte[] redactedJson(Object record) {
        try {
            ObjectNode json = (ObjectNode) JSON.readTree(SpecificData.get().toString(record));
            mask(json);
            return JSON.writeValueAsBytes(json);
        } catch (IOException | RuntimeException e) {
            return ("{\"unencodable\": \"" + record.getClass().getName() + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
        }
    }

    private void mask(com.fasterxml.jackson.databind.JsonNode node) {
        if (node instanceof ObjectNode) {
            ObjectNode object = (ObjectNode) node;
            java.util.List<String> names = new java.util.ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                if (redactedFields.contains(name)) {
                    object.put(name, "******");
                } else {
                    mask(object.get(name));
                }
            }
        } else if (node != null && node.isArray()) {
            node.forEach(this::mask);
        }
    }
}
