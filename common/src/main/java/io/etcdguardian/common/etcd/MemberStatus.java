package io.etcdguardian.common.etcd;

import java.util.List;

/**
 * What one member said about itself, or why it said nothing ({@code error} set, the rest zero).
 * Member ids are unsigned 64-bit: print them with {@link Long#toUnsignedString}.
 */
public record MemberStatus(
        String endpoint,
        long memberId,
        long leaderId,
        String version,
        long dbSize,
        long dbSizeInUse,
        long raftIndex,
        long raftTerm,
        long raftAppliedIndex,
        boolean learner,
        long revision,
        List<String> errors,
        String error) {

    public static MemberStatus unreachable(String endpoint, String error) {
        return new MemberStatus(endpoint, 0, 0, null, 0, 0, 0, 0, 0, false, 0, List.of(), error);
    }

    public boolean reachable() {
        return error == null;
    }

    public boolean healthy() {
        return reachable() && errors.isEmpty() && leaderId != 0;
    }

    /**
     * Answers, knows a leader, and reports no error but a NOSPACE alarm: a full database still serves
     * reads and snapshots — and that is when a snapshot and a defragmentation are needed most.
     */
    public boolean healthyButMaybeFull() {
        return reachable() && leaderId != 0 && errors.stream().allMatch(e -> e.contains("NOSPACE"));
    }

    public boolean isLeader() {
        return reachable() && memberId == leaderId;
    }

    public String memberIdHex() {
        return Long.toHexString(memberId);
    }
}
