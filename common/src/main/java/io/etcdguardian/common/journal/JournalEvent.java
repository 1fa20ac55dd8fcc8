package io.etcdguardian.common.journal;

/**
 * One key's change at one revision, as etcd's watch reported it: enough to write it again so that its
 * create revision, mod revision and version come out the same ({@code leaseTtl}: the lease's granted TTL
 * in seconds when the writer could read it, else -1).
 */
public record JournalEvent(
        boolean delete,
        byte[] key,
        byte[] value,
        long createRevision,
        long modRevision,
        long version,
        long lease,
        long leaseTtl) {

    public static JournalEvent put(
            byte[] key, byte[] value, long createRevision, long modRevision, long version, long lease, long leaseTtl) {
        return new JournalEvent(false, key, value, createRevision, modRevision, version, lease, leaseTtl);
    }

    public static JournalEvent delete(byte[] key, long modRevision) {
        return new JournalEvent(true, key, new byte[0], 0, modRevision, 0, 0, -1);
    }

    /** Bytes it takes in a segment, near enough to size segments by. */
    public long weight() {
        return key.length + value.length + 48L;
    }
}
