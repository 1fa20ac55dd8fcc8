package io.etcdguardian.restore.stage;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;
import java.util.Set;

/**
 * The seed's other sources for a hosted-onprem restore, besides a committed snapshot:
 * {@code writers-stopped} — a snapshot this restore has snapshot-service take once the API servers
 * are at 0, so that no write is lost; {@code member-db} — member 0's own {@code member/snap/db} as its
 * volume holds it once etcd is stopped, when the members lost quorum and no snapshot can be taken
 * (not a snapshot: no trailer, no SHA-256, no drill; restored with {@code --skip-hash-check}).
 * Before the restore has its snapshot, the plan carries a manifest with the source's name as its id.
 */
public final class SnapshotSources {
    /** The fact naming the snapshot a writers-stopped restore took, once it took it. */
    public static final String TAKEN = "restore.snapshot";

    static final ControlPlaneKind TARGET = ControlPlaneKind.HOSTED_ONPREM;
    private static final Set<String> SPECIAL = Set.of(RestoreRequested.MEMBER_DB, RestoreRequested.WRITERS_STOPPED);

    private SnapshotSources() {}

    public static boolean special(String source) {
        return source != null && SPECIAL.contains(source); // Set.of refuses to look up null
    }

    public static boolean memberDb(String source) {
        return RestoreRequested.MEMBER_DB.equals(source);
    }

    public static boolean writersStopped(String source) {
        return RestoreRequested.WRITERS_STOPPED.equals(source);
    }

    /** The manifest the plan carries until there is a snapshot: nothing is known about the data yet. */
    public static SnapshotManifest placeholder(String clusterId, String source, ControlPlaneKind target, Instant at) {
        if (target != TARGET) {
            throw new GuardianException(
                    Reason.INVALID_REQUEST,
                    "snapshot '" + source + "' is a source of" + " hosted-onprem restores only, not of " + target);
        }
        return new SnapshotManifest(
                SnapshotManifest.FORMAT_VERSION,
                clusterId,
                source,
                null,
                null,
                at,
                at,
                "etcd-0",
                null,
                null,
                -1,
                -1,
                -1,
                null,
                0,
                0,
                null,
                "none",
                null,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    /** What the plan's notes say about the source. */
    public static String note(String source) {
        return memberDb(source)
                ? "source: member 0's own member/snap/db on its volume (data-etcd-0), not a snapshot"
                        + " — restored with --skip-hash-check (a data file has no hash trailer); no drill, revision or key"
                        + " count checked beforehand; it holds every write up to the moment etcd stopped"
                : "source: a snapshot this restore takes once the API servers are stopped (no write lost), SHA-256"
                        + " and hash trailer checked when staged and by etcdutl; drilled after its capture, not waited for";
    }
}
