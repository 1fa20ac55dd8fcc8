package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * A journal segment of the cluster was committed: revisions {@code fromRevision..toRevision} are
 * restorable (on top of a snapshot at or after the last gap), the newest received at {@code lastArrival}.
 */
public record JournalSegmentCommitted(
        String clusterId,
        long fromRevision,
        long toRevision,
        int events,
        long sizeStored,
        Instant lastArrival,
        Instant at)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.journal.segment.committed.v1";

    public JournalSegmentCommitted {
        Require.text(clusterId, "clusterId");
        if (fromRevision < 1 || toRevision < fromRevision) {
            throw new IllegalArgumentException("not a revision range: " + fromRevision + "-" + toRevision);
        }
    }
}
