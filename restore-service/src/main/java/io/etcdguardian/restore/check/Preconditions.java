package io.etcdguardian.restore.check;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.KeyStoreSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.restore.procedure.hosted.HostedClusterManifest;
import io.etcdguardian.restore.stage.SnapshotSources;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What must hold before a restore touches anything: the snapshot is committed and has passed a
 * restore drill; the control plane runs the z-stream the snapshot was taken on (or the request is
 * forced); the keys needed to read it — the store's encryption key, the cluster's encryption-key
 * bundle — are there. The SHA-256 is checked again when the snapshot is fetched.
 */
@Singleton
public class Preconditions {

    private final KubernetesClients kubernetes;
    private final EncryptionKeys keys;
    private final SnapshotStores stores;

    public Preconditions(KubernetesClients kubernetes, EncryptionKeys keys, SnapshotStores stores) {
        this.kubernetes = kubernetes;
        this.keys = keys;
        this.stores = stores;
    }

    /** Returns notes for the plan (e.g. a forced version mismatch); throws with the reason when one fails. */
    public List<String> check(
            ClusterSpec cluster,
            SnapshotManifest manifest,
            String source,
            ControlPlaneKind target,
            boolean force,
            Map<String, String> facts) {
        List<String> notes = new ArrayList<>();
        SnapshotManifest.PointInTime pit = manifest.pointInTime();
        if (pit != null) {
            notes.add("point in time: revision " + pit.revision() + " (received " + pit.revisionTime()
                    + "), made from snapshot " + pit.baseSnapshotId() + " (revision " + pit.baseRevision()
                    + ") and " + pit.segments().size() + " journal segments of epoch " + pit.journalEpoch()
                    + (pit.segments().isEmpty() ? "" : " (" + String.join(", ", pit.segments()) + ")"));
        }
        boolean special = SnapshotSources.special(source);
        if (special) {
            notes.add(SnapshotSources.note(source));
            if (manifest.snapshotId().equals(source)) {
                return notes; // no snapshot yet: nothing to check before the restore takes or reads it
            }
        } else if (manifest.drill() == null || !manifest.drill().passed()) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "snapshot " + manifest.snapshotId()
                            + " has not passed a restore drill ("
                            + (manifest.drill() == null
                                    ? "never drilled"
                                    : manifest.drill().detail()) + "): run POST /snapshots/" + cluster.id() + "/"
                            + manifest.snapshotId() + "/drill first");
        }
        // where the cluster records its version: a restore onto another z-stream is refused
        if ((target == ControlPlaneKind.OPENSHIFT || target.hosted()) && !special) {
            Optional<String> now =
                    kubernetes.forCluster(cluster).flatMap(client -> ControlPlane.completedVersion(client, cluster));
            if (now.isEmpty() && target == ControlPlaneKind.HOSTED_AWS) {
                // no HostedCluster runs (deleted for the restore, or never created): the one to be created
                now = HostedClusterManifest.toCreate(cluster, facts).flatMap(HostedClusterManifest::releaseVersion);
            }
            String then = manifest.clusterVersion();
            String mismatch = then == null
                    ? "the snapshot does not record the cluster version"
                    : now.isEmpty()
                            ? "the cluster's current version cannot be read"
                            : !now.get().equals(then)
                                    ? "the snapshot was taken on " + then + ", the cluster runs " + now.get()
                                    : null;
            if (mismatch != null) {
                if (!force) {
                    throw new GuardianException(
                            Reason.VERSION_MISMATCH,
                            mismatch
                                    + ": a restore must use a snapshot of the same z-stream release (force to override)");
                }
                notes.add("forced: " + mismatch);
            }
        }
        if (manifest.encryption() != null) {
            keys.snapshotKeys(cluster)
                    .orElseThrow(() -> new GuardianException(
                            Reason.PRECONDITION_FAILED,
                            "snapshot "
                                    + manifest.snapshotId() + " is encrypted with key "
                                    + manifest.encryption().keyId()
                                    + "; the cluster has no store.encryption"))
                    .require(manifest.encryption().keyId(), "snapshot " + manifest.snapshotId());
        }
        if (manifest.keyBundleKey() != null) {
            KeyStoreSpec store = cluster.store().keyStore();
            if (store == null) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "snapshot " + manifest.snapshotId()
                                + " needs its encryption-key bundle but store.keyStore is not configured");
            }
            // opened, not only found: sealed, with a key the keyring still has, for this very snapshot
            try {
                if (stores.keyStore(cluster).size(manifest.keyBundleKey()).isEmpty()) {
                    throw new GuardianException(Reason.NOT_FOUND, "no object " + manifest.keyBundleKey());
                }
                try (var in = stores.keyStore(cluster).open(manifest.keyBundleKey())) {
                    KeyBundles.open(
                            keys.bundleKeys(cluster),
                            cluster.id(),
                            manifest.snapshotId(),
                            in.readAllBytes(),
                            "key bundle " + manifest.keyBundleKey());
                }
            } catch (java.io.IOException e) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "the encryption-key bundle of snapshot " + manifest.snapshotId() + " cannot be read ("
                                + e.getMessage() + ")",
                        e);
            } catch (GuardianException e) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "the encryption-key bundle of snapshot " + manifest.snapshotId() + ": " + e.getMessage(),
                        e);
            } catch (RuntimeException e) {
                GuardianException translated = StoreErrors.translate(
                        "find the encryption-key bundle " + manifest.keyBundleKey(), store.bucket(), e);
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "the encryption-key bundle of snapshot " + manifest.snapshotId() + " is not available: "
                                + translated.getMessage(),
                        e);
            }
        }
        return notes;
    }
}
