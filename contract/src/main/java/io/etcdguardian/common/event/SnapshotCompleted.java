package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * A snapshot is in the store, its SHA-256 trailer checked and its manifest committed. {@code
 * manifestKey} is where the manifest lives in {@code bucket}. {@code captureMs} is how long etcd's
 * read transaction was held open (added in 0.1; absent from older producers).
 */
public record SnapshotCompleted(
        String clusterId,
        String requestId,
        String snapshotId,
        String bucket,
        String objectKey,
        String manifestKey,
        String member,
        String etcdVersion,
        long revision,
        long totalKeys,
        long sizeRaw,
        long sizeStored,
        String sha256,
        String compression,
        String encryptionKeyId,
        Instant takenAt,
        long durationMs,
        long bytesPerSecond,
        Long captureMs)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.snapshot.completed.v1";

    public SnapshotCompleted {
        Require.text(clusterId, "clusterId");
        Require.text(snapshotId, "snapshotId");
        Require.text(manifestKey, "manifestKey");
    }
}
