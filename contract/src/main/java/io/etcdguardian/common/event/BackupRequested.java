package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * Asks snapshot-service for one snapshot of a cluster. {@code slot} is the schedule slot for
 * scheduled requests (with the cluster id it makes the request id deterministic).
 */
public record BackupRequested(
        String clusterId, Trigger trigger, String reason, String requestedBy, Instant slot, Instant requestedAt)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.backup.requested.v1";

    public BackupRequested {
        Require.text(clusterId, "clusterId");
        Require.present(trigger, "trigger");
    }
}
