package io.pipelinekit.core.dlq;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.Function;

/** Checks one record; an invalid record goes to the dead-letter queue at stage VALIDATE. */
@PublicEvolving
@FunctionalInterface
public interface Validator<T> extends Function {
    ValidationResult validate(T record) throws Exception;
}
