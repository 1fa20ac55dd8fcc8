package io.etcdguardian.common.fleet;

import java.util.Set;

/** Published in the application context when the fleet changes; lists the cluster ids added, changed or removed. */
public record FleetChanged(Fleet fleet, Set<String> changedClusterIds) {}
