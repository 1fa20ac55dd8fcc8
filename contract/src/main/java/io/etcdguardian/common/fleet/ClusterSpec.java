package io.etcdguardian.common.fleet;

/**
 * One etcd cluster of the fleet: how to reach it, where its snapshots go, when to back it up, how
 * long to keep them, what kind of control plane it serves, and how to restore it. Holds paths to secrets, never secrets.
 */
public record ClusterSpec(
        String id,
        EtcdSpec etcd,
        StoreSpec store,
        ScheduleSpec schedule,
        RetentionSpec retention,
        KubernetesSpec kubernetes,
        RestoreSpec restore,
        Boolean paused,
        SloSpec slo,
        String storageDomain) {
    public boolean isPaused() {
        return Boolean.TRUE.equals(paused);
    }
}
