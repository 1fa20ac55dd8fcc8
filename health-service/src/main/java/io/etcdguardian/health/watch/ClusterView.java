package io.etcdguardian.health.watch;

import io.etcdguardian.common.etcd.MemberStatus;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one poll saw of a cluster, reduced to what operators are told about when it changes: which
 * members answer, who leads, and which alarms are raised (as {@code endpoint/ALARM}).
 */
record ClusterView(Map<String, Boolean> up, String leader, long term, Set<String> alarms) {

    static ClusterView of(Iterable<MemberStatus> members, Set<String> alarms) {
        Map<String, Boolean> up = new TreeMap<>();
        String leader = null;
        long term = 0;
        for (MemberStatus m : members) {
            up.put(m.endpoint(), m.reachable());
            if (m.isLeader()) {
                leader = m.endpoint();
                term = m.raftTerm();
            }
        }
        return new ClusterView(up, leader, term, new TreeSet<>(alarms));
    }
}
