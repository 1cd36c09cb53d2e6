package io.pipelinekit.jobs.fraud.internal;

import io.pipelinekit.core.dlq.ValidationResult;
import io.pipelinekit.core.dlq.Validator;
import io.pipelinekit.jobs.fraud.rules.Rule;

import org.apache.flink.annotation.Internal;

import java.time.Duration;

/**
 * Rejects rule definitions the scorer could not apply correctly, before they are broadcast: unknown
 * kinds, out-of-range parameters, and rules that need more history than the job keeps (they would
 * silently miss fraud). A rejected definition goes to the DLQ and the rule's previous version stays
 * in force.
 */
@Internal
public final class RuleValidator implements Validator<RuleUpdate> {

    private static final long serialVersionUID = 1L;

    private final int maxHistory;
    private final Duration maxHistoryAge;

    public RuleValidator(int maxHistory, Duration maxHistoryAge) {
        this.maxHistory = maxHistory;
        this.maxHistoryAge = maxHistoryAge;
    }

    @Override
    public ValidationResult validate(RuleUpdate update) {
        if (update.isRemoval()) {
            return ValidationResult.valid();
        }
        if (update.definition.getRuleId().isBlank()) {
            return ValidationResult.invalid("INVALID_RULE", "rule without a ruleId");
        }
        if (!update.ruleId.equals(update.definition.getRuleId())) {
            // On a compacted topic the key is the rule's identity: a tombstone for the rule id
            // would not remove this record, and compaction would keep both.
            return ValidationResult.invalid(
                    "RULE_KEY_MISMATCH",
                    "rule "
                            + update.definition.getRuleId()
                            + " was published under the key '"
                            + update.ruleId
                            + "'; publish each rule keyed by its ruleId (UTF-8)");
        }
        Rule rule;
        try {
            rule = Rule.of(update.definition);
        } catch (IllegalArgumentException e) {
            return ValidationResult.invalid(
                    "INVALID_RULE",
                    e.getMessage()
                            + "; version "
                            + update.definition.getVersion()
                            + " is ignored and the rule's previous version stays in force");
        }
        if (rule.lookback().compareTo(maxHistoryAge) > 0) {
            return ValidationResult.invalid(
                    "RULE_EXCEEDS_HISTORY",
                    "rule "
                            + update.definition.getRuleId()
                            + " looks back "
                            + rule.lookback()
                            + " but the job keeps "
                            + maxHistoryAge
                            + " of history per card; raise fraud.history.max-age or shorten the"
                            + " rule's window");
        }
        if (rule.historyDepth() > maxHistory) {
            return ValidationResult.invalid(
                    "RULE_EXCEEDS_HISTORY",
                    "rule "
                            + update.definition.getRuleId()
                            + " needs "
                            + rule.historyDepth()
                            + " earlier transactions but the job keeps "
                            + maxHistory
                            + " per card; raise fraud.history.max-transactions or lower the"
                            + " rule's threshold");
        }
        return ValidationResult.valid();
    }
}
