package io.etcdguardian.common.event;

import java.time.Instant;

/** Asks health-service to maintain a cluster (defragment, heal NOSPACE); {@code source} says who asked. */
public record MaintenanceRequested(String clusterId, Action action, String reason, String source, Instant requestedAt)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.maintenance.requested.v1";

    /** What to do. */
    public enum Action {
        DEFRAG,
        HEAL_NOSPACE
    }

    public MaintenanceRequested {
        Require.text(clusterId, "clusterId");
        Require.present(action, "action");
    }
}
