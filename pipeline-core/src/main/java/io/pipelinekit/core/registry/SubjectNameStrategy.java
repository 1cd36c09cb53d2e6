package io.pipelinekit.core.registry;

import org.apache.flink.annotation.PublicEvolving;

import org.apache.avro.Schema;

/** How the registry subject of a topic's keys or values is named, as in Confluent's serializers. */
@PublicEvolving
public enum SubjectNameStrategy {
    /** {@code <topic>-key} / {@code <topic>-value}: one schema lineage per topic (default). */
    TOPIC_NAME,
    /** The record's full name: one lineage per record type, shared by every topic carrying it. */
    RECORD_NAME,
    /** {@code <topic>-<record full name>}: several record types per topic, each with a lineage. */
    TOPIC_RECORD_NAME;

    /** The subject for a key or value of {@code topic} written with {@code schema}. */
    public String subject(String topic, boolean isKey, Schema schema) {
        switch (this) {
            case TOPIC_NAME:
                return topic + (isKey ? "-key" : "-value");
            case RECORD_NAME:
                return schema.getFullName();
            case TOPIC_RECORD_NAME:
                return topic + "-" + schema.getFullName();
            default:
                throw new IllegalStateException("Unknown strategy " + this);
        }
    }
}
