package io.pipelinekit.core.formats.avro.internal;

import io.pipelinekit.core.registry.SchemaRegistryClient;
import io.pipelinekit.core.registry.SchemaRegistryException;
import io.pipelinekit.core.registry.SchemaRegistryException.Reason;
import io.pipelinekit.core.registry.SubjectNameStrategy;

import org.apache.flink.annotation.Internal;
import org.apache.flink.formats.avro.SchemaCoder;

import org.apache.avro.Schema;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The Confluent wire format's header: magic byte {@code 0}, then the schema id as a 4-byte
 * big-endian int; the Avro binary body follows (written and read by Flink's registry schemas).
 */
@Internal
public final class ConfluentWireSchemaCoder implements SchemaCoder {

    public static final byte MAGIC_BYTE = 0;

    private final SchemaRegistryClient registry;
    private final SubjectNameStrategy subjectNames;
    private final String topic;
    private final boolean isKey;
    private final boolean autoRegister;
    // Flink passes the same Schema instance for every record: remember its id without hashing
    // or printing the schema on the hot path.
    private Schema lastSchema;
    private int lastId;

    public ConfluentWireSchemaCoder(
            SchemaRegistryClient registry,
            SubjectNameStrategy subjectNames,
            String topic,
            boolean isKey,
            boolean autoRegister) {
        this.registry = registry;
        this.subjectNames = subjectNames;
        this.topic = topic;
        this.isKey = isKey;
        this.autoRegister = autoRegister;
    }

    @Override
    public Schema readSchema(InputStream in) throws IOException {
        int magic = in.read();
        if (magic < 0) {
            throw new SchemaRegistryException(
                    Reason.TRUNCATED_HEADER, "Empty payload: no Confluent wire-format header");
        }
        if (magic != MAGIC_BYTE) {
            throw new SchemaRegistryException(
                    Reason.WRONG_MAGIC_BYTE,
                    String.format(
                            "First byte is 0x%02x, not the Confluent magic byte 0x00: the record"
                                    + " was not written with the registry wire format (plain"
                                    + " Avro, JSON, or another serializer?)",
                            magic));
        }
        int id;
        try {
            id = new DataInputStream(in).readInt();
        } catch (EOFException e) {
            throw new SchemaRegistryException(
                    Reason.TRUNCATED_HEADER,
                    "Payload ends inside the 5-byte wire-format header (no complete schema id)");
        }
        return registry.schemaById(id);
    }

    @Override
    public void writeSchema(Schema schema, OutputStream out) throws IOException {
        int id;
        if (schema == lastSchema) {
            id = lastId;
        } else {
            String subject = subjectNames.subject(topic, isKey, schema);
            id =
                    autoRegister
                            ? registry.register(subject, schema)
                            : registry.lookupId(subject, schema);
            lastSchema = schema;
            lastId = id;
        }
        out.write(MAGIC_BYTE);
        new DataOutputStream(out).writeInt(id);
    }
}
