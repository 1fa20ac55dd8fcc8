package io.etcdguardian.common.event;

/**
 * Asks restore-service to restore a cluster. {@code snapshotId} null or "latest" means the newest
 * verified snapshot; {@code target} names the procedure (local, hosted-onprem, hosted-aws, kubeadm,
 * openshift).
 */
public record RestoreRequested(String clusterId, String snapshotId, String target, boolean dryRun, boolean force,
                               String requestedBy) implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.restore.requested.v1";

    public RestoreRequested {
        Require.text(clusterId, "clusterId");
        Require.text(target, "target");
    }
}
