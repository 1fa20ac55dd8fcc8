package io.etcdguardian.common.fleet;

/** One thing wrong with the fleet configuration: which cluster, which key, and why. */
public record FleetProblem(String clusterId, String key, String reason) {
    @Override
    public String toString() {
        return "cluster '" + clusterId + "': " + key + ": " + reason;
    }
}
