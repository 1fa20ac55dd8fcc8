package io.etcdguardian.common.fault;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points in an operation where a fault-injection run may end the process as SIGKILL would
 * (no shutdown hooks, nothing flushed), the way etcd's robustness tests use gofail failpoints. Armed
 * only by {@code -Dguardian.failpoints=<name>[,<name>…]} — set by the fault-matrix tests, never in a
 * deployment; unarmed, a point is one set lookup.
 */
public final class Failpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Failpoints.class);
    private static final Set<String> ARMED = Arrays.stream(System.getProperty("guardian.failpoints", "").split(","))
            .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());

    /** Exit code of a process ended at a failpoint: 128 + SIGKILL, as the kernel reports a killed one. */
    public static final int EXIT_CODE = 137;

    private Failpoints() {}

    public static void hit(String name) {
        if (ARMED.contains(name)) {
            LOG.error("failpoint {} armed: ending the process as SIGKILL would", name);
            Runtime.getRuntime().halt(EXIT_CODE);
        }
    }
}
