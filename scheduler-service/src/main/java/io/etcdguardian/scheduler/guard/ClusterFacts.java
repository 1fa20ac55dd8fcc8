package io.etcdguardian.scheduler.guard;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.KubernetesSpec;
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
 * ClusterVersion "version" and the OpenShift/Kube API server operators' Encrypted condition; a hosted
 * cluster reads its HostedCluster.
 */
@Singleton
public class ClusterFacts {
    static final ResourceDefinitionContext CLUSTER_VERSION = context("config.openshift.io", "v1", "ClusterVersion",
            "clusterversions", false);
    static final ResourceDefinitionContext HOSTED_CLUSTER = context("hypershift.openshift.io", "v1beta1",
            "HostedCluster", "hostedclusters", true);
    static final List<ResourceDefinitionContext> API_SERVER_OPERATORS = List.of(
            context("operator.openshift.io", "v1", "OpenShiftAPIServer", "openshiftapiservers", false),
            context("operator.openshift.io", "v1", "KubeAPIServer", "kubeapiservers", false));

    private final KubernetesClients clients;

    public ClusterFacts(KubernetesClients clients) {
        this.clients = clients;
    }

    public Optional<Instant> createdAt(ClusterSpec cluster) {
        return controlPlane(cluster).map(r -> r.getMetadata().getCreationTimestamp()).map(Instant::parse);
    }

    /** The reason of an Encrypted condition that is still in progress, e.g. EncryptionInProgress. */
    public Optional<String> encryptionInProgress(ClusterSpec cluster) {
        Optional<KubernetesClient> client = clients.forCluster(cluster);
        if (client.isEmpty()) {
            return Optional.empty();
        }
        List<GenericKubernetesResource> sources = "openshift".equals(cluster.kubernetes().kind())
                ? API_SERVER_OPERATORS.stream().map(c -> client.get().genericKubernetesResources(c).withName("cluster").get())
                        .filter(java.util.Objects::nonNull).toList()
                : controlPlane(cluster).stream().toList();
        for (GenericKubernetesResource source : sources) {
            for (Map<String, Object> condition : list(source.getAdditionalProperties(), "status", "conditions")) {
                if ("Encrypted".equals(condition.get("type")) && condition.get("reason") instanceof String reason
                        && (reason.equals("EncryptionInProgress") || reason.equals("DecryptionInProgress"))) {
                    return Optional.of(reason);
                }
            }
        }
        return Optional.empty();
    }

    /** The version of the newest Completed entry of the upgrade history. */
    public Optional<String> completedVersion(ClusterSpec cluster) {
        return controlPlane(cluster).flatMap(r -> {
            List<Map<String, Object>> history = "openshift".equals(cluster.kubernetes().kind())
                    ? list(r.getAdditionalProperties(), "status", "history")
                    : list(r.getAdditionalProperties(), "status", "version", "history");
            return history.stream().filter(h -> "Completed".equals(h.get("state")))
                    .map(h -> (String) h.get("version")).findFirst();
        });
    }

    private Optional<GenericKubernetesResource> controlPlane(ClusterSpec cluster) {
        Optional<KubernetesClient> client = clients.forCluster(cluster);
        if (client.isEmpty()) {
            return Optional.empty();
        }
        KubernetesSpec target = cluster.kubernetes();
        return switch (target.kind()) {
            case "openshift" -> Optional.ofNullable(client.get().genericKubernetesResources(CLUSTER_VERSION)
                    .withName("version").get());
            case "hosted-onprem", "hosted-aws" -> Optional.ofNullable(client.get().genericKubernetesResources(HOSTED_CLUSTER)
                    .inNamespace(target.namespace()).withName(target.name()).get());
            default -> Optional.empty();
        };
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> root, String... path) {
        Object at = root;
        for (String step : path) {
            if (!(at instanceof Map)) {
                return List.of();
            }
            at = ((Map<String, Object>) at).get(step);
        }
        return at instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private static ResourceDefinitionContext context(String group, String version, String kind, String plural,
                                                     boolean namespaced) {
        return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
                .withPlural(plural).withNamespaced(namespaced).build();
    }
}
