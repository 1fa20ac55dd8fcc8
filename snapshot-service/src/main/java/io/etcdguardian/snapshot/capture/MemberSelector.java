package io.etcdguardian.snapshot.capture;

import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Picks the member to snapshot: a healthy voting follower that is in sync with the leader (its
 * applied index within {@code maxLag} of the leader's), so the leader is spared the I/O; the leader
 * when no follower qualifies; never a learner, never a member that reports errors other than
 * NOSPACE (a full database still serves reads).
 */
public final class MemberSelector {
    private MemberSelector() {}

    public static MemberStatus choose(List<MemberStatus> members, long maxLag) {
        List<MemberStatus> healthy = members.stream()
                .filter(MemberStatus::healthyButMaybeFull)
                .filter(m -> !m.learner())
                .toList();
        if (healthy.isEmpty()) {
            throw new GuardianException(
                    Reason.ETCD_UNAVAILABLE,
                    "no healthy voting member: "
                            + members.stream()
                                    .map(m -> m.endpoint() + " "
                                            + (m.reachable()
                                                    ? (m.learner() ? "learner" : "errors " + m.errors())
                                                    : m.error()))
                                    .collect(Collectors.joining("; ")));
        }
        Optional<MemberStatus> leader =
                healthy.stream().filter(MemberStatus::isLeader).findFirst();
        long leaderIndex = leader.map(MemberStatus::raftAppliedIndex)
                .orElse(healthy.stream()
                        .mapToLong(MemberStatus::raftAppliedIndex)
                        .max()
                        .orElse(0));
        return healthy.stream()
                .filter(m -> !m.isLeader())
                .filter(m -> leaderIndex - m.raftAppliedIndex() <= maxLag)
                .min(Comparator.comparingLong((MemberStatus m) -> leaderIndex - m.raftAppliedIndex())
                        .thenComparing(MemberStatus::endpoint))
                .or(() -> leader)
                .orElse(healthy.get(0));
    }
}
