package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.Evidence;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/** Why a rule fired for a transaction: a description, the measured evidence, related ids. */
@PublicEvolving
public final class RuleHit {

    private final String description;
    private final List<Evidence> evidence;
    private final List<String> relatedTransactionIds;

    public RuleHit(String description, List<Evidence> evidence, List<String> related) {
        this.description = description;
        this.evidence = List.copyOf(evidence);
        this.relatedTransactionIds = List.copyOf(related);
    }

    public String description() {
        return description;
    }

    public List<Evidence> evidence() {
        return evidence;
    }

    public List<String> relatedTransactionIds() {
        return relatedTransactionIds;
    }

    static Evidence evidence(String name, Object value, Object threshold) {
        return new Evidence(name, plain(value), threshold == null ? null : plain(threshold));
    }

    private static String plain(Object value) {
        return value instanceof java.math.BigDecimal
                ? ((java.math.BigDecimal) value).stripTrailingZeros().toPlainString()
                : String.valueOf(value);
    }
}
