package io.etcdguardian.health.watch;

import io.etcdguardian.common.event.HealthChanged;
import io.etcdguardian.common.event.HealthChanged.Change;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The events that tell how a cluster changed between two polls; none for the first poll of a cluster but its problems. */
final class HealthChanges {
    private HealthChanges() {}

    static List<HealthChanged> between(String clusterId, ClusterView before, ClusterView now, Instant at) {
        List<HealthChanged> changes = new ArrayList<>();
        now.up().forEach((member, up) -> {
            Boolean was = before == null ? Boolean.TRUE : before.up().get(member);
            if (!up && !Boolean.FALSE.equals(was)) {
                changes.add(
                        new HealthChanged(clusterId, Change.MEMBER_DOWN, member, null, "member does not answer", at));
            } else if (up && Boolean.FALSE.equals(was)) {
                changes.add(new HealthChanged(clusterId, Change.MEMBER_UP, member, null, "member answers again", at));
            }
        });
        String leaderBefore = before == null ? null : before.leader();
        if (now.leader() == null && (before == null || leaderBefore != null)) {
            changes.add(new HealthChanged(
                    clusterId,
                    Change.LEADER_LOST,
                    null,
                    null,
                    "no member reports itself leader: the cluster takes no writes",
                    at));
        } else if (now.leader() != null && before != null && !Objects.equals(leaderBefore, now.leader())) {
            changes.add(new HealthChanged(
                    clusterId,
                    Change.LEADER_CHANGED,
                    now.leader(),
                    null,
                    "leader " + (leaderBefore == null ? "elected" : "moved from " + leaderBefore) + " (term "
                            + now.term() + ")",
                    at));
        }
        for (String alarm : now.alarms()) {
            if (before == null || !before.alarms().contains(alarm)) {
                changes.add(raised(clusterId, alarm, at));
            }
        }
        if (before != null) {
            for (String alarm : before.alarms()) {
                if (!now.alarms().contains(alarm)) {
                    String[] parts = split(alarm);
                    changes.add(new HealthChanged(
                            clusterId, Change.ALARM_CLEARED, parts[0], parts[1], parts[1] + " alarm cleared", at));
                }
            }
        }
        return changes;
    }

    private static HealthChanged raised(String clusterId, String alarm, Instant at) {
        String[] parts = split(alarm);
        String detail = switch (parts[1]) {
            case "NOSPACE" ->
                "NOSPACE alarm: the cluster takes only reads and deletes until it is defragmented and disarmed";
            case "CORRUPT" ->
                "CORRUPT alarm: the member's data diverged; an operator must replace the member or restore"
                        + " the cluster from a snapshot. It is never disarmed automatically";
            default -> parts[1] + " alarm raised";
        };
        return new HealthChanged(clusterId, Change.ALARM_RAISED, parts[0], parts[1], detail, at);
    }

    /** {@code endpoint/ALARM}: endpoints hold slashes, alarm names do not. */
    private static String[] split(String alarm) {
        int slash = alarm.lastIndexOf('/');
        return new String[] {alarm.substring(0, slash), alarm.substring(slash + 1)};
    }
}
