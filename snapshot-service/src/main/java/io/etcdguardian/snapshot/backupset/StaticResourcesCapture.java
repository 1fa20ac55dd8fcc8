package io.etcdguardian.snapshot.backupset;

import io.etcdguardian.common.digest.Sha256;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.SnapshotEncryption;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenShift half of a backup set: before the snapshot, as {@code cluster-backup.sh} does it —
 * refused while one of the four operators is Progressing (a rollout would make the resources and the
 * snapshot disagree), then the tarball from a control-plane node ({@link BackupSetJob}), taken in only
 * when it holds exactly one revision of each of the four static pods, and stored beside the snapshot,
 * encrypted with the snapshot's key. Nothing of the node's upload outlives the attempt.
 */
@Singleton
public class StaticResourcesCapture {
    private static final Logger LOG = LoggerFactory.getLogger(StaticResourcesCapture.class);

    private final KubernetesClients kubernetes;
    private final SnapshotStores stores;
    private final BackupSetSettings settings;
    private final SnapshotSettings snapshotSettings;

    public StaticResourcesCapture(
            KubernetesClients kubernetes,
            SnapshotStores stores,
            BackupSetSettings settings,
            SnapshotSettings snapshotSettings) {
        this.kubernetes = kubernetes;
        this.stores = stores;
        this.settings = settings;
        this.snapshotSettings = snapshotSettings;
    }

    /** Whether this cluster's snapshots are backup sets. */
    public boolean applies(ClusterSpec cluster) {
        return settings.enabled()
                && cluster.kubernetes() != null
                && cluster.kubernetes().is(ControlPlaneKind.OPENSHIFT);
    }

    /** The stored tarball, or empty for clusters whose snapshots are the etcd database alone. */
    public Optional<SnapshotManifest.StaticResources> capture(
            ClusterSpec cluster, String snapshotId, Optional<SnapshotEncryption> encryption) {
        if (!applies(cluster)) {
            return Optional.empty();
        }
        KubernetesClient client = kubernetes
                .forCluster(cluster)
                .orElseThrow(() -> new GuardianException(
                        Reason.INVALID_CONFIG,
                        cluster.id() + " is an OpenShift cluster but the service has no API access to it"
                                + " (kubernetes.kubeconfig): its static-pod resources cannot be backed up"));
        SnapshotStore store = stores.of(cluster);
        clearStaging(cluster, store);
        try {
            requireNoRollout(client);
            String staged = SnapshotKeys.stagedStaticResources(cluster, snapshotId);
            // a bearer credential for one object, alive only as long as the Job may run
            SnapshotStore.PresignedPut upload =
                    store.presignPut(staged, settings.timeout().plusMinutes(1), settings.stagedEncryption());
            BackupSetJob job = new BackupSetJob(client, settings, snapshotId);
            try {
                String node = job.run(image(client), upload);
                return Optional.of(takeIn(cluster, store, staged, snapshotId, encryption, node));
            } finally {
                job.delete();
                quietly(() -> store.delete(staged));
            }
        } catch (KubernetesClientException e) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    true,
                    "cannot run the static-pod resources Job on " + cluster.id() + " (" + e.getCode() + " "
                            + e.getMessage() + ")",
                    e);
        }
    }

    /** Removes a stored tarball whose snapshot never committed (the attempt failed after it). */
    public void discard(ClusterSpec cluster, SnapshotManifest.StaticResources resources) {
        quietly(() -> stores.of(cluster).delete(resources.objectKey()));
    }

    /** cluster-backup.sh's check: every one of the four operators reports Progressing=False. */
    private static void requireNoRollout(KubernetesClient client) {
        for (String operator : StaticResourcesScript.RESOURCES) {
            GenericKubernetesResource co = client.genericKubernetesResources(ControlPlane.CLUSTER_OPERATOR)
                    .withName(operator)
                    .get();
            String progressing = co == null
                    ? null
                    : ControlPlane.list(co.getAdditionalProperties(), "status", "conditions").stream()
                            .filter(c -> "Progressing".equals(c.get("type")))
                            .map(c -> String.valueOf(c.get("status")))
                            .findFirst()
                            .orElse(null);
            if (progressing == null) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "cannot read the Progressing condition of" + " clusteroperator " + operator
                                + ": the backup set waits until the API answers",
                        null);
            }
            if (!"False".equals(progressing)) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "clusteroperator " + operator + " is"
                                + " progressing: a backup set needs its static-pod resources settled (no rollout under way)",
                        null);
            }
        }
    }

    private String image(KubernetesClient client) {
        if (settings.image() != null && !settings.image().isBlank()) {
            return settings.image();
        }
        return client.pods().inNamespace(settings.namespace()).withLabel("app", "etcd").list().getItems().stream()
                .map(Pod::getSpec)
                .filter(s -> s != null && !s.getContainers().isEmpty())
                .map(s -> s.getContainers().get(0).getImage())
                .findFirst()
                .orElseThrow(() -> new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "no etcd pod in "
                                + settings.namespace() + " to take the Job's image from (set guardian.snapshot"
                                + ".openshift-backup-set.image)",
                        null));
    }

    private SnapshotManifest.StaticResources takeIn(
            ClusterSpec cluster,
            SnapshotStore store,
            String staged,
            String snapshotId,
            Optional<SnapshotEncryption> encryption,
            String node) {
        Path dir = Path.of(snapshotSettings.spoolDir());
        Path plain = dir.resolve(cluster.id() + "-" + snapshotId + ".static_kuberesources.tar.gz");
        Path sealed = plain.resolveSibling(plain.getFileName() + ".enc");
        try {
            Files.createDirectories(dir);
            MessageDigest sha256 = Sha256.newDigest();
            try (InputStream in = store.open(staged);
                    OutputStream out = new DigestOutputStream(Files.newOutputStream(plain), sha256)) {
                in.transferTo(out);
            }
            List<String> resources = StaticResourcesLayout.of(plain);
            String objectKey = SnapshotKeys.staticResources(cluster, snapshotId, encryption.isPresent());
            Path stored = plain;
            if (encryption.isPresent()) {
                try (OutputStream file = Files.newOutputStream(sealed);
                        OutputStream out = encryption
                                .get()
                                .encrypt(
                                        file, cluster.id(), SnapshotManifest.StaticResources.encryptedAs(snapshotId))) {
                    Files.copy(plain, out);
                }
                stored = sealed;
            }
            store.writeFile(objectKey, stored);
            var taken = new SnapshotManifest.StaticResources(
                    objectKey, Files.size(plain), Files.size(stored), Sha256.hex(sha256), resources, node);
            LOG.info(
                    "static-pod resources of {} from node {}: {} ({} bytes) stored as {}",
                    cluster.id(),
                    node,
                    resources,
                    taken.sizeRaw(),
                    objectKey);
            return taken;
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    true,
                    "the static-pod resources uploaded for " + snapshotId + " are not a readable tar.gz ("
                            + e.getMessage() + ")",
                    e);
        } catch (GuardianException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreErrors.translate(
                    "take in the static-pod resources of " + snapshotId,
                    cluster.store().bucket(),
                    e);
        } finally {
            deleteQuietly(plain);
            deleteQuietly(sealed);
        }
    }

    /** A crashed attempt's upload: one snapshot of a cluster at a time (its lease), so all of staging is stale. */
    private static void clearStaging(ClusterSpec cluster, SnapshotStore store) {
        for (SnapshotStore.Entry leftover : store.list(SnapshotKeys.stagingPrefix(cluster))) {
            quietly(() -> store.delete(leftover.key()));
        }
    }

    private static void quietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("cleanup: {}", e.getMessage());
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
