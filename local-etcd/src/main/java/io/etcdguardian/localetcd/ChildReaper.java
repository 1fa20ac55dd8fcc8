package io.etcdguardian.localetcd;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kills the children this JVM started when it exits, unless they were detached on purpose (the
 * quick start's `up` leaves its backplane running for a later `down`). A test JVM that dies must not
 * leave etcd or Kafka behind.
 */
public final class ChildReaper {
    private static final Set<ProcessHandle> CHILDREN = ConcurrentHashMap.newKeySet();
    private static volatile boolean detached;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildReaper::reap, "backplane-reaper"));
    }

    private ChildReaper() {}

    static void register(ProcessHandle handle) {
        CHILDREN.add(handle);
    }

    /** Lets one child outlive this JVM (an etcd member a restore started again belongs to its cluster, not to us). */
    public static void release(ProcessHandle handle) {
        CHILDREN.remove(handle);
    }

    /** Lets the children outlive this JVM. */
    public static void detach() {
        detached = true;
    }

    private static void reap() {
        if (detached) {
            return;
        }
        CHILDREN.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
