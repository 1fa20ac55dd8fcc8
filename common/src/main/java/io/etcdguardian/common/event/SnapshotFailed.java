package io.etcdguardian.common.event;

import java.time.Instant;

/** A snapshot attempt failed; nothing was committed. {@code reason} is a {@code Reason} name. */
public record SnapshotFailed(String clusterId, String requestId, String reason, boolean retriable, String detail,
                             Instant failedAt) implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.snapshot.failed.v1";

    public SnapshotFailed {
        Require.text(clusterId, "clusterId");
        Require.text(reason, "reason");
    }
}
