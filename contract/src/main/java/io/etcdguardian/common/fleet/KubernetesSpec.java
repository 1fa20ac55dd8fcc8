package io.etcdguardian.common.fleet;

/**
 * The control plane the cluster serves: {@code kind} is local, hosted-onprem, hosted-aws, kubeadm
 * or openshift; namespace/name locate it (e.g. the HostedCluster).
 */
public record KubernetesSpec(String kind, String namespace, String name, String kubeconfig) {

    /** The kind, known once the fleet validated it ({@link FleetValidator}); empty for an unknown one. */
    public java.util.Optional<ControlPlaneKind> controlPlane() {
        return ControlPlaneKind.of(kind);
    }

    public boolean is(ControlPlaneKind expected) {
        return controlPlane().filter(expected::equals).isPresent();
    }
}
