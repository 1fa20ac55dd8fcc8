package io.etcdguardian.restore.target;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The procedures by name; a request's target, else the cluster's {@code kubernetes.kind}. */
@Singleton
public class RestoreTargets {
    private final Map<String, RestoreTarget> byKind = new TreeMap<>();

    public RestoreTargets(List<RestoreTarget> targets) {
        targets.forEach(t -> byKind.put(t.kind(), t));
    }

    public RestoreTarget choose(ClusterSpec cluster, String requested) {
        String kind = requested != null && !requested.isBlank() ? requested
                : cluster.kubernetes() != null ? cluster.kubernetes().kind() : null;
        if (kind == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "cluster '" + cluster.id()
                    + "' has no kubernetes.kind and the request names no target; one of " + byKind.keySet());
        }
        RestoreTarget target = byKind.get(kind);
        if (target == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "unknown restore target '" + kind + "'; one of "
                    + byKind.keySet());
        }
        return target;
    }
}
