package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * A restore drill ran: the snapshot was fetched, its trailer checked, restored into a scratch etcd,
 * started, and compared with its manifest.
 */
public record SnapshotVerified(
        String clusterId,
        String snapshotId,
        DrillResult result,
        long expectedRevision,
        long restoredRevision,
        long expectedKeys,
        long restoredKeys,
        String detail,
        long durationMs,
        Instant at)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.snapshot.verified.v1";

    public SnapshotVerified {
        Require.text(clusterId, "clusterId");
        Require.text(snapshotId, "snapshotId");
        Require.present(result, "result");
    }
}
