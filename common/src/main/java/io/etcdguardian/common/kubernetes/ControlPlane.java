package io.etcdguardian.common.kubernetes;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenShift and HyperShift objects the services read and change, named once (no CRD discovery:
 * the API servers of a broken cluster may not answer it), and the few readings of them that more
 * than one service needs.
 */
public final class ControlPlane {
    public static final ResourceDefinitionContext CLUSTER_VERSION =
            context("config.openshift.io", "v1", "ClusterVersion", "clusterversions", false);
    public static final ResourceDefinitionContext CLUSTER_OPERATOR =
            context("config.openshift.io", "v1", "ClusterOperator", "clusteroperators", false);
    public static final ResourceDefinitionContext API_SERVER =
            context("config.openshift.io", "v1", "APIServer", "apiservers", false);
    public static final ResourceDefinitionContext HOSTED_CLUSTER =
            context("hypershift.openshift.io", "v1beta1", "HostedCluster", "hostedclusters", true);
    /** In the control-plane namespace; reports EtcdSnapshotRestored once etcd started from restoreSnapshotURL. */
    public static final ResourceDefinitionContext HOSTED_CONTROL_PLANE =
            context("hypershift.openshift.io", "v1beta1", "HostedControlPlane", "hostedcontrolplanes", true);

    public static final ResourceDefinitionContext OPENSHIFT_API_SERVER_OPERATOR =
            operator("OpenShiftAPIServer", "openshiftapiservers");
    public static final ResourceDefinitionContext KUBE_API_SERVER_OPERATOR =
            operator("KubeAPIServer", "kubeapiservers");
    public static final ResourceDefinitionContext ETCD_OPERATOR = operator("Etcd", "etcds");
    /** Encrypts the OAuth API server's resources (oauthaccesstokens, oauthauthorizetokens). */
    public static final ResourceDefinitionContext AUTHENTICATION_OPERATOR =
            operator("Authentication", "authentications");

    public static final ResourceDefinitionContext KUBE_CONTROLLER_MANAGER_OPERATOR =
            operator("KubeControllerManager", "kubecontrollermanagers");
    public static final ResourceDefinitionContext KUBE_SCHEDULER_OPERATOR = operator("KubeScheduler", "kubeschedulers");

    private ControlPlane() {}

    /** The object that carries the cluster's version: ClusterVersion "version", or the HostedCluster. */
    public static Optional<GenericKubernetesResource> versionHolder(KubernetesClient client, ClusterSpec cluster) {
        KubernetesSpec target = cluster.kubernetes();
        ControlPlaneKind kind = target == null ? null : target.controlPlane().orElse(null);
        if (kind == ControlPlaneKind.OPENSHIFT) {
            return Optional.ofNullable(client.genericKubernetesResources(CLUSTER_VERSION)
                    .withName("version")
                    .get());
        }
        if (kind != null && kind.hosted()) {
            return Optional.ofNullable(client.genericKubernetesResources(HOSTED_CLUSTER)
                    .inNamespace(target.namespace())
                    .withName(target.name())
                    .get());
        }
        return Optional.empty();
    }

    /** The version of the newest Completed entry of the upgrade history (e.g. 4.14.12): the z-stream running now. */
    public static Optional<String> completedVersion(KubernetesClient client, ClusterSpec cluster) {
        return versionHolder(client, cluster).flatMap(r -> {
            List<Map<String, Object>> history = cluster.kubernetes().is(ControlPlaneKind.OPENSHIFT)
                    ? list(r.getAdditionalProperties(), "status", "history")
                    : list(r.getAdditionalProperties(), "status", "version", "history");
            return history.stream()
                    .filter(h -> "Completed".equals(h.get("state")))
                    .map(h -> (String) h.get("version"))
                    .findFirst();
        });
    }

    /** The value at {@code path} in a parsed object, or null. */
    @SuppressWarnings("unchecked")
    public static Object at(Map<String, Object> root, String... path) {
        Object at = root;
        for (String step : path) {
            if (!(at instanceof Map)) {
                return null;
            }
            at = ((Map<String, Object>) at).get(step);
        }
        return at;
    }

    public static String text(Map<String, Object> root, String... path) {
        return at(root, path) instanceof String s ? s : null;
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> list(Map<String, Object> root, String... path) {
        return at(root, path) instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private static ResourceDefinitionContext operator(String kind, String plural) {
        return context("operator.openshift.io", "v1", kind, plural, false);
    }

    private static ResourceDefinitionContext context(
            String group, String version, String kind, String plural, boolean namespaced) {
        return new ResourceDefinitionContext.Builder()
                .withGroup(group)
                .withVersion(version)
                .withKind(kind)
                .withPlural(plural)
                .withNamespaced(namespaced)
                .build();
    }
}
