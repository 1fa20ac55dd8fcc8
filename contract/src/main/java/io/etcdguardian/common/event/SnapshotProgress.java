package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * How far a running snapshot is, published at a bounded rate (every {@code
 * guardian.snapshot.progress-interval}) while it runs: bytes etcd has sent into the spool, bytes
 * the upload has read from it, the expected total (the member's database size when it started;
 * etcd's stream ends near it), the rate over the last interval and the time left at that rate.
 * Informational: the outcome is {@link SnapshotCompleted} or {@link SnapshotFailed}.
 */
public record SnapshotProgress(
        String clusterId,
        String requestId,
        String snapshotId,
        long bytesCaptured,
        long bytesUploaded,
        long bytesTotal,
        long bytesPerSecond,
        Long etaSeconds,
        Instant at)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.snapshot.progress.v1";

    public SnapshotProgress {
        Require.text(clusterId, "clusterId");
        Require.text(requestId, "requestId");
        Require.text(snapshotId, "snapshotId");
    }
}
