package io.etcdguardian.scheduler.guard;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the control plane says about itself, read with fabric8: when the cluster was created, whether
 * etcd encryption or decryption is still running, and the last completed upgrade. OpenShift reads
 * ClusterVersion "version" and the Encrypted condition of the OpenShift API server, Kube API server
 * and Authentication operators (any one migrating stops a backup); a hosted cluster reads its
 * HostedCluster's conditions.
 */
@Singleton
public class ClusterFacts {
    /** The three operators that migrate resources when encryption is turned on or off (the seed's check). */
    private static final List<ResourceDefinitionContext> API_SERVER_OPERATORS = List.of(
            ControlPlane.OPENSHIFT_API_SERVER_OPERATOR,
            ControlPlane.KUBE_API_SERVER_OPERATOR,
            ControlPlane.AUTHENTICATION_OPERATOR);

    private final KubernetesClients clients;

    public ClusterFacts(KubernetesClients clients) {
        this.clients = clients;
    }

    public Optional<Instant> createdAt(ClusterSpec cluster) {
        return controlPlane(cluster)
                .map(r -> r.getMetadata().getCreationTimestamp())
                .map(Instant::parse);
    }

    /** The reason of an Encrypted condition that is still in progress, e.g. EncryptionInProgress. */
    public Optional<String> encryptionInProgress(ClusterSpec cluster) {
        Optional<KubernetesClient> client = clients.forCluster(cluster);
        if (client.isEmpty()) {
            return Optional.empty();
        }
        List<GenericKubernetesResource> sources = cluster.kubernetes().is(ControlPlaneKind.OPENSHIFT)
                ? API_SERVER_OPERATORS.stream()
                        .map(c -> client.get()
                                .genericKubernetesResources(c)
                                .withName("cluster")
                                .get())
                        .filter(java.util.Objects::nonNull)
                        .toList()
                : controlPlane(cluster).stream().toList();
        for (GenericKubernetesResource source : sources) {
            for (Map<String, Object> condition :
                    ControlPlane.list(source.getAdditionalProperties(), "status", "conditions")) {
                if ("Encrypted".equals(condition.get("type"))
                        && condition.get("reason") instanceof String reason
                        && (reason.equals("EncryptionInProgress") || reason.equals("DecryptionInProgress"))) {
                    return Optional.of(reason);
                }
            }
        }
        return Optional.empty();
    }

    /** The version of the newest Completed entry of the upgrade history. */
    public Optional<String> completedVersion(ClusterSpec cluster) {
        return clients.forCluster(cluster).flatMap(client -> ControlPlane.completedVersion(client, cluster));
    }

    private Optional<GenericKubernetesResource> controlPlane(ClusterSpec cluster) {
        return clients.forCluster(cluster).flatMap(client -> ControlPlane.versionHolder(client, cluster));
    }
}
