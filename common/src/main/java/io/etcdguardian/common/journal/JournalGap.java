package io.etcdguardian.common.journal;

import java.time.Instant;

/**
 * Revisions the journal lost for good (etcd compacted them before the writer read them): a restore to
 * one of them needs a snapshot taken after {@code toRevision}, which the writer asks for at once.
 */
public record JournalGap(String clusterId, long fromRevision, long toRevision, String reason, Instant recordedAt) {
    public JournalKeys.Range range() {
        return new JournalKeys.Range(fromRevision, toRevision);
    }
}
