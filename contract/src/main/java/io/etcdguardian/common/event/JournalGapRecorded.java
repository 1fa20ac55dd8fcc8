package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * The journal lost revisions {@code fromRevision..toRevision} for good (etcd compacted them before they
 * were read): no restore reaches them, and one reaches the revisions after only from a snapshot taken
 * after {@code toRevision}, which was asked for ({@code snapshotRequested}) unless one exists.
 */
public record JournalGapRecorded(
        String clusterId, long fromRevision, long toRevision, String reason, boolean snapshotRequested, Instant at)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.journal.gap.recorded.v1";

    public JournalGapRecorded {
        Require.text(clusterId, "clusterId");
        Require.text(reason, "reason");
    }
}
