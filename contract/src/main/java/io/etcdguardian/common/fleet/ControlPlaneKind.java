package io.etcdguardian.common.fleet;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The control plane a cluster's etcd serves, as a fleet file names it ({@code kubernetes.kind}) and
 * a restore request names its target: the procedures differ by it (how to stop and start the API
 * servers and etcd, where the version and the encryption keys are read).
 */
public enum ControlPlaneKind {
    LOCAL("local"),
    HOSTED_ONPREM("hosted-onprem"),
    HOSTED_AWS("hosted-aws"),
    KUBEADM("kubeadm"),
    OPENSHIFT("openshift");

    private final String wire;

    ControlPlaneKind(String wire) {
        this.wire = wire;
    }

    /** As fleet files, events and the command line spell it. */
    public String wire() {
        return wire;
    }

    /** Hosted by HyperShift: a HostedCluster, its control-plane namespace, its version in the HostedCluster. */
    public boolean hosted() {
        return this == HOSTED_ONPREM || this == HOSTED_AWS;
    }

    public static Optional<ControlPlaneKind> of(String wire) {
        return Arrays.stream(values()).filter(k -> k.wire.equals(wire)).findFirst();
    }

    /** "local, hosted-onprem, …" for error messages. */
    public static String spelled() {
        return Arrays.stream(values()).map(ControlPlaneKind::wire).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wire;
    }
}
