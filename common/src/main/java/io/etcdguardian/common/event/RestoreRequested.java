package io.etcdguardian.common.event;

/**
 * Asks restore-service to restore a cluster. {@code snapshotId}: an id, {@code latest-verified} (the
 * default when null) or {@code latest}; {@code target} names the procedure (local, hosted-onprem,
 * hosted-aws, kubeadm, openshift), null for the cluster's {@code kubernetes.kind}. {@code dryRun}
 * returns the plan and touches nothing; {@code force} accepts another z-stream. {@code resumeRestoreId}
 * continues a stopped restore at the step it stopped on (the other fields are then taken from it).
 */
public record RestoreRequested(String clusterId, String snapshotId, String target, boolean dryRun, boolean force,
                               String requestedBy, String resumeRestoreId) implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.restore.requested.v1";

    public RestoreRequested {
        Require.text(clusterId, "clusterId");
    }

    public RestoreRequested(String clusterId, String snapshotId, String target, boolean dryRun, boolean force,
                            String requestedBy) {
        this(clusterId, snapshotId, target, dryRun, force, requestedBy, null);
    }
}
