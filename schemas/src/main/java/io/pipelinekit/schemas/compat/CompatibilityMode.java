package io.pipelinekit.schemas.compat;

/**
 * Schema evolution rules, with the meaning the Confluent schema registry gives them: which
 * previously released versions a new version is checked against, and in which direction.
 */
public enum CompatibilityMode {
    /** No check. */
    NONE(false, false, false),
    /** Consumers on the new schema can read data written with the latest released one. */
    BACKWARD(true, false, false),
    /** Like {@link #BACKWARD}, against every released version. */
    BACKWARD_TRANSITIVE(true, false, true),
    /** Consumers still on the latest released schema can read data written with the new one. */
    FORWARD(false, true, false),
    /** Like {@link #FORWARD}, against every released version. */
    FORWARD_TRANSITIVE(false, true, true),
    /** Both {@link #BACKWARD} and {@link #FORWARD}. */
    FULL(true, true, false),
    /** Both directions against every released version. */
    FULL_TRANSITIVE(true, true, true);

    private final boolean newReadsOld;
    private final boolean oldReadsNew;
    private final boolean transitive;

    CompatibilityMode(boolean newReadsOld, boolean oldReadsNew, boolean transitive) {
        this.newReadsOld = newReadsOld;
        this.oldReadsNew = oldReadsNew;
        this.transitive = transitive;
    }

    /** Whether the new schema, as reader, must read data written with released schemas. */
    public boolean newReadsOld() {
        return newReadsOld;
    }

    /** Whether released schemas, as readers, must read data written with the new schema. */
    public boolean oldReadsNew() {
        return oldReadsNew;
    }

    /** Whether every released version is checked, not only the latest. */
    public boolean transitive() {
        return transitive;
    }
}
