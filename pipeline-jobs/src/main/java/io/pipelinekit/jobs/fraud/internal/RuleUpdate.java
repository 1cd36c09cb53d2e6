package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.schemas.fraud.FraudRule;

import org.apache.flink.annotation.Internal;

import javax.annotation.Nullable;

import java.util.Objects;

/**
 * One record of the rule topic: a new definition of a rule, or its removal (a Kafka tombstone on
 * the compacted topic).
 */
@Internal
public final class RuleUpdate {

    /** The rule's id: the record key (or the definition's id for a record without a key). */
    public String ruleId;

    /** The definition in force from now on; null when the rule was removed. */
    @Nullable public FraudRule definition;

    /** For Flink's POJO serializer. */
    public RuleUpdate() {}

    private RuleUpdate(String ruleId, @Nullable FraudRule definition) {
        this.ruleId = Objects.requireNonNull(ruleId, "ruleId");
        this.definition = definition;
    }

    public static RuleUpdate of(FraudRule definition) {
        return new RuleUpdate(definition.getRuleId(), definition);
    }

    /** A definition published under {@code key} (which should be its rule id). */
    public static RuleUpdate of(@Nullable String key, FraudRule definition) {
        return new RuleUpdate(key == null ? definition.getRuleId() : key, definition);
    }

    public static RuleUpdate removed(String ruleId) {
        return new RuleUpdate(ruleId, null);
    }

    public boolean isRemoval() {
        return definition == null;
    }

    @Override
    public String toString() {
        return isRemoval() ? "removal of rule " + ruleId : String.valueOf(definition);
    }
}
