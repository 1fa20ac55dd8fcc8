package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * What health-service saw change in a cluster between two polls: a member went down or came back,
 * the leader changed or was lost, an alarm was raised or cleared. {@code member} is the endpoint
 * (null when the change is the cluster's); {@code alarm} names the alarm (NOSPACE, CORRUPT) for
 * alarm changes. A CORRUPT alarm needs an operator or a restore: it is never disarmed automatically.
 */
public record HealthChanged(String clusterId, Change change, String member, String alarm, String detail, Instant at)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.health.changed.v1";

    /** Kinds of change. */
    public enum Change {
        MEMBER_DOWN,
        MEMBER_UP,
        LEADER_CHANGED,
        LEADER_LOST,
        ALARM_RAISED,
        ALARM_CLEARED
    }

    public HealthChanged {
        Require.text(clusterId, "clusterId");
        Require.present(change, "change");
    }
}
