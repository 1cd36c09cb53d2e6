package io.pipelinekit.testkit;

import io.pipelinekit.testkit.internal.process.ServiceSupport;

import org.apache.flink.annotation.PublicEvolving;

/** Ports for tests. */
@PublicEvolving
public final class Ports {

    private Ports() {}

    /** A loopback port nothing listens on (right now): for "service unreachable" tests. */
    public static int unused() {
        return ServiceSupport.freePort();
    }
}
