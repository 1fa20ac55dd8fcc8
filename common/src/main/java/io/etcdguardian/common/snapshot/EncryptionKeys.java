package io.etcdguardian.common.snapshot;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.EncryptionSpec;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/** The snapshot encryption of a cluster, with its key from a key file or a Kubernetes secret. */
@Singleton
public class EncryptionKeys {
    private final KubernetesClients kubernetes;

    public EncryptionKeys(KubernetesClients kubernetes) {
        this.kubernetes = kubernetes;
    }

    public Optional<SnapshotEncryption> forCluster(ClusterSpec cluster) {
        EncryptionSpec spec = cluster.store().encryption();
        if (spec == null) {
            return Optional.empty();
        }
        if (spec.keyFile() != null) {
            return Optional.of(SnapshotEncryption.fromSpec(spec));
        }
        String[] ref = spec.secret().split("[/:]");
        String dataKey = ref.length > 2 ? ref[2] : "key";
        try {
            Secret secret = kubernetes.own().secrets().inNamespace(ref[0]).withName(ref[1]).get();
            if (secret == null || secret.getData() == null || !secret.getData().containsKey(dataKey)) {
                throw new GuardianException(Reason.INVALID_CONFIG, "secret " + ref[0] + "/" + ref[1] + " has no data key '"
                        + dataKey + "'");
            }
            // Secret data is base64 of the value, and the value is the base64 key itself
            String value = new String(Base64.getDecoder().decode(secret.getData().get(dataKey)), StandardCharsets.UTF_8);
            return Optional.of(SnapshotEncryption.fromBase64(value, spec.keyId(), "secret " + ref[0] + "/" + ref[1]));
        } catch (KubernetesClientException e) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, true, "cannot read secret " + ref[0] + "/" + ref[1]
                    + " (" + e.getCode() + ")", e);
        }
    }
}
