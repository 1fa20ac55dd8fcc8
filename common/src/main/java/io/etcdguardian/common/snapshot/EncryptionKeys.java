package io.etcdguardian.common.snapshot;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.EncryptionSpec;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A cluster's keys: the snapshots' keyring ({@code store.encryption}) and the key bundles' keyring
 * ({@code store.keyStore.encryption}), each key from a key file or a Kubernetes secret.
 */
@Singleton
public class EncryptionKeys {
    private final KubernetesClients kubernetes;

    public EncryptionKeys(KubernetesClients kubernetes) {
        this.kubernetes = kubernetes;
    }

    /** The key new snapshots are encrypted with. */
    public Optional<SnapshotEncryption> forCluster(ClusterSpec cluster) {
        return snapshotKeys(cluster).map(Keyring::current);
    }

    public Optional<Keyring> snapshotKeys(ClusterSpec cluster) {
        EncryptionSpec spec = cluster.store().encryption();
        return spec == null ? Optional.empty() : Optional.of(keyring(spec));
    }

    /**
     * The key bundles' keyring; refused when it shares a key with the snapshots' (whoever holds one must
     * not hold both), or when none is configured (a bundle is never stored in the clear).
     */
    public Keyring bundleKeys(ClusterSpec cluster) {
        EncryptionSpec spec = cluster.store().keyStore() == null
                ? null
                : cluster.store().keyStore().encryption();
        if (spec == null) {
            throw new GuardianException(
                    Reason.INVALID_CONFIG,
                    "store.keyStore.encryption is not configured for " + cluster.id()
                            + ": encryption-key bundles are never stored in the clear");
        }
        Keyring bundles = keyring(spec);
        if (snapshotKeys(cluster).map(bundles::shares).orElse(false)) {
            throw new GuardianException(
                    Reason.INVALID_CONFIG,
                    "store.keyStore.encryption of " + cluster.id()
                            + " holds a key of store.encryption: the key bundles need a key of their own");
        }
        return bundles;
    }

    private Keyring keyring(EncryptionSpec spec) {
        List<SnapshotEncryption> previous = new ArrayList<>();
        spec.previous().forEach(p -> previous.add(key(p)));
        return new Keyring(key(spec), previous);
    }

    private SnapshotEncryption key(EncryptionSpec spec) {
        if (spec.keyFile() != null) {
            return SnapshotEncryption.fromSpec(spec);
        }
        String[] ref = spec.secret().split("[/:]");
        String dataKey = ref.length > 2 ? ref[2] : "key";
        try {
            Secret secret = kubernetes
                    .own()
                    .secrets()
                    .inNamespace(ref[0])
                    .withName(ref[1])
                    .get();
            if (secret == null || secret.getData() == null || !secret.getData().containsKey(dataKey)) {
                throw new GuardianException(
                        Reason.INVALID_CONFIG,
                        "secret " + ref[0] + "/" + ref[1] + " has no data key '" + dataKey + "'");
            }
            // Secret data is base64 of the value, and the value is the base64 key itself
            String value =
                    new String(Base64.getDecoder().decode(secret.getData().get(dataKey)), StandardCharsets.UTF_8);
            return SnapshotEncryption.fromBase64(value, spec.keyId(), "secret " + ref[0] + "/" + ref[1]);
        } catch (KubernetesClientException e) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    true,
                    "cannot read secret " + ref[0] + "/" + ref[1] + " (" + e.getCode() + ")",
                    e);
        }
    }
}
