package io.pipelinekit.core.registry;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.avro.Schema;

import java.util.Objects;

/** A schema as registered under a subject: its global id and its version in the subject. */
@PublicEvolving
public final class RegisteredSchema {

    private final String subject;
    private final int version;
    private final int id;
    private final Schema schema;

    public RegisteredSchema(String subject, int version, int id, Schema schema) {
        this.subject = Objects.requireNonNull(subject, "subject");
        this.version = version;
        this.id = id;
        this.schema = Objects.requireNonNull(schema, "schema");
    }

    public String subject() {
        return subject;
    }

    public int version() {
        return version;
    }

    public int id() {
        return id;
    }

    public Schema schema() {
        return schema;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RegisteredSchema)) {
            return false;
        }
        RegisteredSchema that = (RegisteredSchema) o;
        return version == that.version
                && id == that.id
                && subject.equals(that.subject)
                && schema.equals(that.schema);
    }

    @Override
    public int hashCode() {
        return Objects.hash(subject, version, id);
    }

    @Override
    public String toString() {
        return subject + " v" + version + " (id " + id + ")";
    }
}
