package io.etcdguardian.restore.procedure;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import jakarta.inject.Singleton;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The procedures by name; a request's target, else the cluster's {@code kubernetes.kind}. */
@Singleton
public class RestoreTargets {
    private final Map<ControlPlaneKind, RestoreTarget> byKind = new EnumMap<>(ControlPlaneKind.class);

    public RestoreTargets(List<RestoreTarget> targets) {
        targets.forEach(t -> byKind.put(t.kind(), t));
    }

    /**
     * The cluster's procedure. A request may name it, but never another one than the cluster's
     * declared {@code kubernetes.kind}: an OpenShift procedure run against a hosted cluster scales and
     * deletes the wrong things, and no override skips this check.
     */
    public RestoreTarget choose(ClusterSpec cluster, String requested) {
        String declared = cluster.kubernetes() != null ? cluster.kubernetes().kind() : null;
        boolean named = requested != null && !requested.isBlank();
        if (named && declared != null && !declared.equals(requested)) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "target '" + requested + "' does not match cluster '" + cluster.id()
                            + "', whose kubernetes.kind is '" + declared + "': refused, and no override exists");
        }
        String kind = named ? requested : declared;
        if (kind == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "cluster '" + cluster.id() + "' has no kubernetes.kind and the request names no target; one of "
                            + byKind.keySet());
        }
        RestoreTarget target = ControlPlaneKind.of(kind).map(byKind::get).orElse(null);
        if (target == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED, "unknown restore target '" + kind + "'; one of " + byKind.keySet());
        }
        return target;
    }
}
