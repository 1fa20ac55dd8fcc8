package io.etcdguardian.common.event;

import java.time.Instant;

/** A snapshot capture began on {@code member}, whose database was {@code expectedBytes} large (null: unknown). */
public record SnapshotStarted(
        String clusterId, String requestId, String snapshotId, String member, Instant startedAt, Long expectedBytes)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.snapshot.started.v1";

    public SnapshotStarted {
        Require.text(clusterId, "clusterId");
        Require.text(snapshotId, "snapshotId");
    }
}
