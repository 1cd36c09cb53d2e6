package io.pipelinekit.core.registry;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test double registry with fixed ids, for exact byte-level tests of the wire format.
 * Serializable like any Flink function state; a copy keeps the schemas registered so far.
 */
public final class InMemorySchemaRegistryClient
        implements SchemaRegistryClient, java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final Map<Integer, Schema> schemas = new HashMap<>();
    private final Map<String, Map<Schema, Integer>> subjects = new HashMap<>();
    private int nextId;
    private int idRequests;

    public InMemorySchemaRegistryClient(int firstId) {
        this.nextId = firstId;
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        idRequests++;
        Map<Schema, Integer> ids = subjects.computeIfAbsent(subject, s -> new HashMap<>());
        return ids.computeIfAbsent(
                schema,
                s -> {
                    int id = nextId++;
                    schemas.put(id, s);
                    return id;
                });
    }

    @Override
    public synchronized int lookupId(String subject, Schema schema) throws SchemaRegistryException {
        idRequests++;
        Integer id = subjects.getOrDefault(subject, Map.of()).get(schema);
        if (id == null) {
            throw new SchemaRegistryException(
                    SchemaRegistryException.Reason.SCHEMA_NOT_REGISTERED,
                    "not registered: " + subject);
        }
        return id;
    }

    @Override
    public synchronized Schema schemaById(int id) throws SchemaRegistryException {
        Schema schema = schemas.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(
                    SchemaRegistryException.Reason.UNKNOWN_SCHEMA_ID, "no schema " + id);
        }
        return schema;
    }

    /** How often a schema's id was asked for (register or lookup), e.g. to check caching. */
    public synchronized int idRequests() {
        return idRequests;
    }

    /** The subjects registered so far. */
    @Override
    public synchronized List<String> subjects() {
        return new ArrayList<>(subjects.keySet());
    }

    @Override
    public RegisteredSchema latest(String subject) {
        throw new UnsupportedOperationException("not needed by wire-format tests");
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        throw new UnsupportedOperationException("not needed by wire-format tests");
    }

    @Override
    public List<Integer> versions(String subject) {
        throw new UnsupportedOperationException("not needed by wire-format tests");
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        throw new UnsupportedOperationException("not needed by wire-format tests");
    }

    @Override
    public String compatibility(String subject) {
        throw new UnsupportedOperationException("not needed by wire-format tests");
    }

    @Override
    public void setCompatibility(String subject, String level) {
        throw new UnsupportedOperationException("not needed by wire-format tests");
    }
}
