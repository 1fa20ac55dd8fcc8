package io.etcdguardian.common.event;

import java.util.List;
import java.util.Set;

/**
 * Asks restore-service to restore a cluster. {@code snapshotId}: an id, {@code latest-verified} (the
 * default when null) or {@code latest}; {@code target} names the procedure (local, hosted-onprem,
 * hosted-aws, kubeadm, openshift) and must be the cluster's {@code kubernetes.kind} when it has one.
 * {@code dryRun} returns the plan and its digest and touches nothing. A destructive request carries
 * {@code planDigest}, the digest of the plan it was shown: a request whose plan would now differ is
 * refused. {@code overrides} names each precondition the operator accepts to break (see
 * {@link #OVERRIDES}); none skips the target check or the one-restore-per-cluster lease.
 * {@code apiServerReplicas}: how many replicas the API servers get back when they were found at 0.
 * {@code resumeRestoreId} continues a stopped restore at the step it stopped on (the other fields
 * are then taken from it). {@code force} is no longer accepted: it was split into the overrides.
 * {@code toRevision} or {@code toTime} instead of {@code snapshotId}: the cluster as it was then —
 * restore-service has snapshot-service make that snapshot from the newest one before it and the journal
 * ({@code backup.requested.v1} POINT_IN_TIME), and restores it; a dry run and the request applying its
 * plan get the same snapshot (snapshot-service answers a repeated point with the one it made).
 */
public record RestoreRequested(
        String clusterId,
        String snapshotId,
        String target,
        boolean dryRun,
        boolean force,
        String requestedBy,
        String resumeRestoreId,
        String planDigest,
        List<String> overrides,
        Integer apiServerReplicas,
        Long toRevision,
        java.time.Instant toTime)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.restore.requested.v1";
    public static final String ACCEPT_VERSION_MISMATCH = "accept-version-mismatch";
    public static final String SUPERSEDE_STOPPED_RESTORE = "supersede-stopped-restore";
    /**
     * {@code snapshotId} of a hosted-onprem restore from member 0's own data file
     * ({@code member/snap/db} on its volume, the seed's other source): when no snapshot can be taken
     * and the last one is older than what the volume holds. Restored with {@code --skip-hash-check}.
     */
    public static final String MEMBER_DB = "member-db";
    /**
     * {@code snapshotId} of a hosted-onprem restore from a snapshot it has taken once the API servers
     * are stopped (the seed's "snapshot the active member now"): no write is lost.
     */
    public static final String WRITERS_STOPPED = "writers-stopped";
    /** hosted-aws: create the missing encryption-key secret from the key bundle saved with the snapshot. */
    public static final String RECREATE_ENCRYPTION_SECRET = "recreate-encryption-secret";

    public static final Set<String> OVERRIDES =
            Set.of(ACCEPT_VERSION_MISMATCH, SUPERSEDE_STOPPED_RESTORE, RECREATE_ENCRYPTION_SECRET);

    public RestoreRequested {
        Require.text(clusterId, "clusterId");
        overrides = overrides == null ? List.of() : List.copyOf(overrides);
        for (String override : overrides) {
            if (!OVERRIDES.contains(override)) {
                throw new IllegalArgumentException("unknown override '" + Ids.quoted(override) + "'; one of "
                        + new java.util.TreeSet<>(OVERRIDES));
            }
        }
        if (apiServerReplicas != null && (apiServerReplicas < 1 || apiServerReplicas > 100)) {
            throw new IllegalArgumentException("apiServerReplicas must be 1..100");
        }
        if (toRevision != null && toTime != null) {
            throw new IllegalArgumentException("toRevision and toTime: name one or the other");
        }
        if (toRevision != null && toRevision < 1) {
            throw new IllegalArgumentException("toRevision must be a revision (1 or more)");
        }
        if ((toRevision != null || toTime != null) && snapshotId != null) {
            throw new IllegalArgumentException(
                    "snapshotId and toRevision/toTime: name the snapshot or the point in time, not both");
        }
    }

    public RestoreRequested(
            String clusterId,
            String snapshotId,
            String target,
            boolean dryRun,
            boolean force,
            String requestedBy,
            String resumeRestoreId,
            String planDigest,
            List<String> overrides,
            Integer apiServerReplicas) {
        this(
                clusterId,
                snapshotId,
                target,
                dryRun,
                force,
                requestedBy,
                resumeRestoreId,
                planDigest,
                overrides,
                apiServerReplicas,
                null,
                null);
    }

    /** A restore of the cluster as it was at {@code toRevision}, or at the last revision it had at {@code toTime}. */
    public static RestoreRequested pointInTime(
            String clusterId, Long toRevision, java.time.Instant toTime, String target, String requestedBy) {
        return new RestoreRequested(
                clusterId, null, target, false, false, requestedBy, null, null, List.of(), null, toRevision, toTime);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isPointInTime() {
        return toRevision != null || toTime != null;
    }

    public RestoreRequested(
            String clusterId,
            String snapshotId,
            String target,
            boolean dryRun,
            boolean force,
            String requestedBy,
            String resumeRestoreId) {
        this(clusterId, snapshotId, target, dryRun, force, requestedBy, resumeRestoreId, null, List.of(), null);
    }

    public RestoreRequested(
            String clusterId, String snapshotId, String target, boolean dryRun, boolean force, String requestedBy) {
        this(clusterId, snapshotId, target, dryRun, force, requestedBy, null);
    }

    /** The same request as a dry run: its answer is the plan and its digest. */
    public RestoreRequested planOnly() {
        return new RestoreRequested(
                clusterId,
                snapshotId,
                target,
                true,
                force,
                requestedBy,
                resumeRestoreId,
                null,
                overrides,
                apiServerReplicas,
                toRevision,
                toTime);
    }

    /** The same request, applying the plan whose digest a dry run returned. */
    public RestoreRequested applying(String digest) {
        return new RestoreRequested(
                clusterId,
                snapshotId,
                target,
                false,
                force,
                requestedBy,
                resumeRestoreId,
                digest,
                overrides,
                apiServerReplicas,
                toRevision,
                toTime);
    }

    public boolean overrides(String override) {
        return overrides.contains(override);
    }
}
