package io.etcdguardian.restore.check;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;

/**
 * The seed's other source for a hosted-onprem restore: member 0's own {@code member/snap/db}, as
 * its volume holds it once etcd is stopped — the newest data there is, when the members have lost
 * quorum and no snapshot can be taken. It is not a snapshot: no trailer, no SHA-256, no drill, no
 * revision or key count known in advance; the restore says so in its plan and restores it with
 * {@code --skip-hash-check}. Stands in the plan as a manifest with the id {@code member-db}.
 */
public final class MemberDataSource {
    static final String TARGET = "hosted-onprem";

    private MemberDataSource() {}

    public static boolean named(String snapshotId) {
        return RestoreRequested.MEMBER_DB.equals(snapshotId);
    }

    /** The manifest the plan carries for it: nothing is known about the data before it is restored. */
    public static SnapshotManifest manifest(String clusterId, String target, Instant at) {
        if (!TARGET.equals(target)) {
            throw new GuardianException(Reason.INVALID_REQUEST, "snapshot '" + RestoreRequested.MEMBER_DB
                    + "' (member 0's own data file) is a source of hosted-onprem restores only, not of " + target);
        }
        return new SnapshotManifest(SnapshotManifest.FORMAT_VERSION, clusterId, RestoreRequested.MEMBER_DB, null,
                null, at, at, "etcd-0", null, null, -1, -1, -1, null, 0, 0, null, "none", null, null, null, null,
                null, null);
    }

    /** What the plan's notes say about it. */
    static String note() {
        return "source: member 0's own member/snap/db on its volume (data-etcd-0), not a snapshot — restored with"
                + " --skip-hash-check (a data file has no hash trailer); no drill, revision or key count checked"
                + " beforehand; it holds every write up to the moment etcd stopped";
    }
}
