package io.etcdguardian.common.event;

import java.time.Instant;

/** A snapshot attempt failed; nothing was committed. */
public record SnapshotFailed(
        String clusterId, String requestId, Reason reason, boolean retriable, String detail, Instant failedAt)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.snapshot.failed.v1";

    public SnapshotFailed {
        Require.text(clusterId, "clusterId");
        Require.present(reason, "reason");
    }
}
