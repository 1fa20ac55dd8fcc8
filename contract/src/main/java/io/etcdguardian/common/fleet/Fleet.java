package io.etcdguardian.common.fleet;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/** An immutable view of the fleet at one version. */
public record Fleet(long version, Map<String, ClusterSpec> clusters) {
    public static final Fleet EMPTY = new Fleet(0, Map.of());

    public Fleet {
        clusters = Map.copyOf(clusters);
    }

    public Optional<ClusterSpec> find(String clusterId) {
        return Optional.ofNullable(clusters.get(clusterId));
    }

    public Collection<ClusterSpec> all() {
        return clusters.values();
    }
}
