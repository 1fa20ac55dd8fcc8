package io.etcdguardian.common.journal;

import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;

/**
 * A committed segment: revisions {@code fromRevision..toRevision}, every one of them (a revision is one
 * write transaction; etcd numbers them without holes), received between {@code firstArrival} and
 * {@code lastArrival}. {@code sha256} is of the object as stored.
 */
public record SegmentManifest(
        String clusterId,
        String epoch,
        // the etcd cluster id the revisions came from (hex): a writer resuming on another (restored) one
        // starts a new epoch instead of appending to this history
        String etcdClusterId,
        long fromRevision,
        long toRevision,
        int events,
        Instant firstArrival,
        Instant lastArrival,
        String objectKey,
        long sizeRaw,
        long sizeStored,
        String sha256,
        String compression,
        SnapshotManifest.Encryption encryption,
        Instant committedAt) {

    public JournalKeys.Range range() {
        return new JournalKeys.Range(fromRevision, toRevision);
    }
}
