package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * Asks snapshot-service for one snapshot of a cluster. {@code slot} is the schedule slot for
 * scheduled requests (with the cluster id it makes the request id deterministic).
 */
public record BackupRequested(
        String clusterId,
        Trigger trigger,
        String reason,
        String requestedBy,
        Instant slot,
        Instant requestedAt,
        Long toRevision,
        Instant toTime)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.backup.requested.v1";

    public BackupRequested {
        Require.text(clusterId, "clusterId");
        Require.present(trigger, "trigger");
        if (toRevision != null && toTime != null) {
            throw new IllegalArgumentException("toRevision and toTime: name one or the other");
        }
        if (toRevision != null && toRevision < 1) {
            throw new IllegalArgumentException("toRevision must be a revision (1 or more)");
        }
        if ((toRevision != null || toTime != null) != (trigger == Trigger.POINT_IN_TIME)) {
            throw new IllegalArgumentException(
                    "toRevision or toTime go with trigger POINT_IN_TIME, and it with one of them");
        }
    }

    /** A snapshot of the cluster as it is now. */
    public BackupRequested(
            String clusterId, Trigger trigger, String reason, String requestedBy, Instant slot, Instant requestedAt) {
        this(clusterId, trigger, reason, requestedBy, slot, requestedAt, null, null);
    }

    /**
     * A snapshot of the cluster as it was at {@code toRevision}, or at the last revision it had at
     * {@code toTime}: made from the newest snapshot before it and the journal, not from the cluster.
     */
    public static BackupRequested pointInTime(
            String clusterId, Long toRevision, Instant toTime, String reason, String requestedBy) {
        return new BackupRequested(
                clusterId, Trigger.POINT_IN_TIME, reason, requestedBy, null, Instant.now(), toRevision, toTime);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isPointInTime() {
        return trigger == Trigger.POINT_IN_TIME;
    }
}
