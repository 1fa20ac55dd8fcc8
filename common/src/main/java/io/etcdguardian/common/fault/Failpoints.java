package io.etcdguardian.common.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points in an operation where a fault-injection run may act, the way etcd's robustness tests
 * use gofail failpoints. Armed only by {@code -Dguardian.failpoints=<name>[=<action>][,…]} — set by
 * the fault-matrix tests, never in a deployment; unarmed, a point is one map lookup. Actions:
 * <ul>
 *   <li>{@code halt} (the default): end the process as SIGKILL would (no shutdown hooks, nothing flushed);</li>
 *   <li>{@code pause}: create {@code <guardian.failpoints.dir>/<name>.paused} and wait until the test
 *   deletes it, once per process — the moment to stop S3, restart Kafka, kill or stall an etcd member, fill the spool.</li>
 * </ul>
 */
public final class Failpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Failpoints.class);
    private static final Map<String, String> ARMED = Arrays.stream(
                    System.getProperty("guardian.failpoints", "").split(","))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toUnmodifiableMap(
                    s -> s.split("=", 2)[0], s -> s.contains("=") ? s.split("=", 2)[1] : "halt"));

    private static final Set<String> PAUSED = ConcurrentHashMap.newKeySet();

    /** Exit code of a process ended at a failpoint: 128 + SIGKILL, as the kernel reports a killed one. */
    public static final int EXIT_CODE = 137;

    private Failpoints() {}

    public static void hit(String name) {
        String action = ARMED.get(name);
        if (action == null) {
            return;
        }
        if (action.equals("pause")) {
            if (PAUSED.add(name)) { // once per process: a retry of the step passes
                pause(name);
            }
            return;
        }
        LOG.error("failpoint {} armed: ending the process as SIGKILL would", name);
        Runtime.getRuntime().halt(EXIT_CODE);
    }

    private static void pause(String name) {
        Path marker = Path.of(
                System.getProperty("guardian.failpoints.dir", System.getProperty("java.io.tmpdir")), name + ".paused");
        try {
            Files.createDirectories(marker.getParent());
            Files.writeString(marker, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.warn("failpoint {} armed: paused until {} is deleted", name, marker);
        while (Files.exists(marker)) {
            LockSupport.parkNanos(50_000_000L);
        }
        LOG.warn("failpoint {} released", name);
    }
}
