package io.pipelinekit.testkit.chaos;

import org.apache.flink.annotation.PublicEvolving;

/**
 * How a {@link FaultInjector} injects and heals one kind of fault on a concrete target; the
 * built-in targets are registered with {@link FaultInjector.Builder}, anything else with {@link
 * FaultInjector.Builder#action(FaultKind, FaultAction)}.
 */
@PublicEvolving
public interface FaultAction {

    /**
     * Injects the fault and returns once it took effect.
     *
     * @return a short note for the report, e.g. {@code "task manager 1 terminated"}, or empty
     */
    String inject(Fault fault) throws Exception;

    /**
     * Heals the fault after its downtime (restart what was stopped); instant faults need not. Also
     * called, best effort, after {@link #inject} failed or was interrupted: it must cope with a
     * fault that took effect only partly or not at all.
     */
    default void heal(Fault fault) throws Exception {}
}
