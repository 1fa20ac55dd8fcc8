package io.etcdguardian.common.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.etcdguardian.common.etcd.KeyCount;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.Ids;
import java.time.Instant;

/**
 * The commit record of one snapshot (DESIGN §3), written last: an object without a manifest is an
 * incomplete upload and is never listed, restored or counted. Holds a key id, never a key.
 *
 * @param sha256 SHA-256 of the raw stream without its trailer, equal to the trailer etcd sent
 * @param boltHash CRC-32C over buckets, keys and values, as `etcdutl`/`etcdctl snapshot status` prints it
 * @param totalKeys keys in all bbolt buckets, as 3.4's and 3.5's `snapshot status` count them
 * @param liveKeys keys a restored cluster holds (the latest, non-deleted revision of each key): what
 *     3.6's `etcdutl snapshot status` calls TOTAL KEYS
 * @param storedSha256 SHA-256 of the object as stored (compressed, encrypted): what {@code sha256sum}
 *     prints for a downloaded object, before anything is undone (null for manifests older than it)
 */
public record SnapshotManifest(
        int formatVersion,
        String clusterId,
        String snapshotId,
        String requestId,
        String trigger,
        Instant takenAt,
        Instant completedAt,
        String sourceMember,
        String etcdVersion,
        String clusterVersion,
        long revision,
        long totalKeys,
        long liveKeys,
        String boltHash,
        long sizeRaw,
        long sizeStored,
        String sha256,
        String compression,
        Encryption encryption,
        String objectKey,
        String keyBundleKey,
        Drill drill,
        Long captureMs,
        String storedSha256,
        StaticResources staticResources,
        PointInTime pointInTime) {
    public static final int FORMAT_VERSION = 1;

    /** A snapshot taken from a live member: no point-in-time materialisation. */
    public SnapshotManifest(
            int formatVersion,
            String clusterId,
            String snapshotId,
            String requestId,
            String trigger,
            Instant takenAt,
            Instant completedAt,
            String sourceMember,
            String etcdVersion,
            String clusterVersion,
            long revision,
            long totalKeys,
            long liveKeys,
            String boltHash,
            long sizeRaw,
            long sizeStored,
            String sha256,
            String compression,
            Encryption encryption,
            String objectKey,
            String keyBundleKey,
            Drill drill,
            Long captureMs,
            String storedSha256,
            StaticResources staticResources) {
        this(
                formatVersion,
                clusterId,
                snapshotId,
                requestId,
                trigger,
                takenAt,
                completedAt,
                sourceMember,
                etcdVersion,
                clusterVersion,
                revision,
                totalKeys,
                liveKeys,
                boltHash,
                sizeRaw,
                sizeStored,
                sha256,
                compression,
                encryption,
                objectKey,
                keyBundleKey,
                drill,
                captureMs,
                storedSha256,
                staticResources,
                null);
    }

    /**
     * How a point-in-time snapshot was made: {@code base} restored into a scratch member, the journal's
     * {@code segments} (of {@code journalEpoch}) replayed onto it up to {@code revision}, which etcd had at
     * {@code revisionTime} (the snapshot's {@code takenAt}: it sorts among the others by the time of its data, not of its making).
     */
    public record PointInTime(
            String journalEpoch,
            String baseSnapshotId,
            long baseRevision,
            java.util.List<String> segments,
            long revision,
            Instant revisionTime) {}

    public SnapshotManifest {
        // a manifest read from the store names paths and keys: a tampered one must not steer them
        Ids.cluster(clusterId, "manifest clusterId");
        Ids.id(snapshotId, "manifest snapshotId");
    }

    /** Whether a cluster restored from this snapshot holds what it should: its revision, and its live keys if known. */
    public boolean heldBy(KeyCount restored) {
        return restored.revision() == revision && (liveKeys < 0 || restored.keys() == liveKeys);
    }

    /** What was restored against what this snapshot holds, in words for an operator. */
    public String comparedWith(KeyCount restored) {
        return "restored revision " + restored.revision() + " (manifest " + revision + "), " + restored.keys()
                + " keys (manifest " + (liveKeys < 0 ? "unknown" : String.valueOf(liveKeys)) + ")";
    }

    /** Client-side encryption: the algorithm and the id of the key in the key provider. */
    public record Encryption(String algorithm, String keyId) {}

    /**
     * The other half of an OpenShift backup set: {@code static_kuberesources_<ts>.tar.gz} as {@code
     * cluster-backup.sh} writes it (the kube-apiserver, kube-controller-manager, kube-scheduler and etcd
     * static-pod resources of the revisions their static pods ran), taken before the snapshot and
     * stored beside it, encrypted like it.
     *
     * @param sha256 SHA-256 of the tarball as {@code cluster-restore.sh} reads it (decrypted)
     * @param resources the revision directories it holds, e.g. {@code static-pod-resources/etcd-pod-8}
     */
    public record StaticResources(
            String objectKey,
            long sizeRaw,
            long sizeStored,
            String sha256,
            java.util.List<String> resources,
            String node) {
        /** What its encryption binds it to: its snapshot, and being the tarball, so neither can stand in for the other. */
        public static String encryptedAs(String snapshotId) {
            return snapshotId + "/static_kuberesources";
        }
    }

    /** The last restore drill: restored into a scratch etcd and compared with this manifest. */
    public record Drill(DrillResult result, Instant at, long restoredRevision, long restoredKeys, String detail) {
        @JsonIgnore
        public boolean passed() {
            return result == DrillResult.PASSED;
        }
    }

    /** Its drill ran and failed: it must never stand for a retention bucket or be restored by default. */
    @JsonIgnore
    public boolean drillFailed() {
        return drill != null && !drill.passed();
    }

    /**
     * Restored into a scratch etcd and matched this manifest: "verified" and "restorable" mean this and
     * only this, for retention, restore, status and metrics alike.
     */
    @JsonIgnore
    public boolean drillPassed() {
        return drill != null && drill.passed();
    }

    public SnapshotManifest withDrill(Drill newDrill) {
        return new SnapshotManifest(
                formatVersion,
                clusterId,
                snapshotId,
                requestId,
                trigger,
                takenAt,
                completedAt,
                sourceMember,
                etcdVersion,
                clusterVersion,
                revision,
                totalKeys,
                liveKeys,
                boltHash,
                sizeRaw,
                sizeStored,
                sha256,
                compression,
                encryption,
                objectKey,
                keyBundleKey,
                newDrill,
                captureMs,
                storedSha256,
                staticResources,
                pointInTime);
    }
}
