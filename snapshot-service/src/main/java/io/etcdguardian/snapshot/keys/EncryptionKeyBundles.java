package io.etcdguardian.snapshot.keys;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.KeyStoreSpec;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.common.store.SnapshotStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With etcd encryption on, a snapshot is useless without the key that was active when it was taken —
 * and dangerous next to it. This saves the key secrets to the cluster's separate key store (its own
 * bucket/prefix and credentials) and returns the object's key for the manifest, which holds only that
 * reference. OpenShift: APIServer {@code spec.encryption.type} aescbc/aesgcm → the {@code
 * encryption-key-*} secrets of openshift-config-managed. Hosted cluster: {@code
 * spec.secretEncryption.aescbc.activeKey} (and backupKey) → those secrets in its namespace.
 */
@Singleton
public class EncryptionKeyBundles {
    private static final Logger LOG = LoggerFactory.getLogger(EncryptionKeyBundles.class);
    private static final String OPENSHIFT_KEYS_NAMESPACE = "openshift-config-managed";

    private final KubernetesClients kubernetes;
    private final SnapshotStores stores;
    private final EncryptionKeys keys;

    public EncryptionKeyBundles(KubernetesClients kubernetes, SnapshotStores stores, EncryptionKeys keys) {
        this.kubernetes = kubernetes;
        this.stores = stores;
        this.keys = keys;
    }

    /** The key-store object written, or empty when the cluster does not encrypt etcd. */
    public Optional<String> save(ClusterSpec cluster, String snapshotId) {
        Optional<KubernetesClient> client = kubernetes.forCluster(cluster);
        if (client.isEmpty()) {
            return Optional.empty();
        }
        List<SlottedKey> secrets;
        try {
            secrets = activeKeys(client.get(), cluster.kubernetes());
        } catch (KubernetesClientException e) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    true,
                    "cannot read the encryption configuration of " + cluster.id() + " from the Kubernetes API ("
                            + e.getCode() + ")",
                    e);
        }
        if (secrets.isEmpty()) {
            return Optional.empty();
        }
        KeyStoreSpec keyStore = cluster.store().keyStore();
        if (keyStore == null) {
            throw new GuardianException(
                    Reason.INVALID_CONFIG,
                    "etcd encryption is on for " + cluster.id()
                            + " but store.keyStore is not configured: a snapshot without its key cannot be restored");
        }
        String key = KeyBundles.objectKey(cluster, snapshotId);
        // sealed before it leaves the process: the key store holds ciphertext only, under a key of its own
        byte[] bundle = KeyBundles.seal(
                keys.bundleKeys(cluster), cluster.id(), snapshotId, bundle(cluster, snapshotId, secrets));
        try {
            stores.keyStore(cluster).write(key, bundle, "application/octet-stream");
        } catch (RuntimeException e) {
            throw StoreErrors.translate("save the encryption-key bundle", keyStore.bucket(), e);
        }
        LOG.info("saved {} encryption-key secret(s) of {} to the key store as {}", secrets.size(), cluster.id(), key);
        return Optional.of(key);
    }

    /** A key secret and the HostedCluster slot it filled at backup time (null: OpenShift's, which rotate by name). */
    private record SlottedKey(String slot, Secret secret) {}

    private static List<SlottedKey> activeKeys(KubernetesClient client, KubernetesSpec target) {
        ControlPlaneKind kind = target.controlPlane().orElse(ControlPlaneKind.LOCAL);
        if (kind == ControlPlaneKind.OPENSHIFT) {
            return openShiftKeys(client);
        }
        return kind.hosted() ? hostedKeys(client, target) : List.of();
    }

    private static List<SlottedKey> openShiftKeys(KubernetesClient client) {
        GenericKubernetesResource apiServer = client.genericKubernetesResources(ControlPlane.API_SERVER)
                .withName("cluster")
                .get();
        String type = apiServer == null
                ? null
                : ControlPlane.text(apiServer.getAdditionalProperties(), "spec", "encryption", "type");
        if (!"aescbc".equals(type) && !"aesgcm".equals(type)) {
            return List.of();
        }
        return client.secrets().inNamespace(OPENSHIFT_KEYS_NAMESPACE).list().getItems().stream()
                .filter(s -> s.getMetadata().getName().startsWith("encryption-key-"))
                .map(s -> new SlottedKey(null, s))
                .toList();
    }

    private static List<SlottedKey> hostedKeys(KubernetesClient client, KubernetesSpec target) {
        GenericKubernetesResource hosted = client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace(target.namespace())
                .withName(target.name())
                .get();
        if (hosted == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "HostedCluster " + target.namespace() + "/" + target.name() + " not found");
        }
        Map<String, Object> spec = hosted.getAdditionalProperties();
        if (!"aescbc".equals(ControlPlane.text(spec, "spec", "secretEncryption", "type"))) {
            return List.of();
        }
        List<SlottedKey> secrets = new ArrayList<>();
        for (String slot : List.of("activeKey", "backupKey")) {
            String name = ControlPlane.text(spec, "spec", "secretEncryption", "aescbc", slot, "name");
            if (name != null) {
                Secret secret = client.secrets()
                        .inNamespace(target.namespace())
                        .withName(name)
                        .get();
                if (secret == null) {
                    throw new GuardianException(
                            Reason.PRECONDITION_FAILED,
                            "encryption key secret " + target.namespace() + "/" + name + " (" + slot + ") not found");
                }
                secrets.add(new SlottedKey(slot, secret));
            }
        }
        return secrets;
    }

    private static byte[] bundle(ClusterSpec cluster, String snapshotId, List<SlottedKey> secrets) {
        List<Map<String, Object>> items = secrets.stream()
                .map(k -> {
                    Secret s = k.secret();
                    Map<String, Object> item = new java.util.LinkedHashMap<>();
                    item.put("namespace", s.getMetadata().getNamespace());
                    item.put("name", s.getMetadata().getName());
                    if (k.slot() != null) {
                        item.put(
                                "slot",
                                k.slot()); // a restore checks slot by slot: the active key must stay the active key
                    }
                    item.put("type", s.getType() == null ? "Opaque" : s.getType());
                    item.put("data", s.getData() == null ? Map.of() : s.getData());
                    return item;
                })
                .toList();
        try {
            return EventJson.MAPPER.writeValueAsBytes(Map.of(
                    "clusterId",
                    cluster.id(),
                    "snapshotId",
                    snapshotId,
                    "savedAt",
                    Instant.now().toString(),
                    "kind",
                    cluster.kubernetes().kind(),
                    "secrets",
                    items));
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise the key bundle", e);
        }
    }
}
