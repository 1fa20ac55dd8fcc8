package io.etcdguardian.health.defrag;

import io.etcd.jetcd.cluster.Member;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.etcd.MemberProbe;
import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cluster as etcd sees it: its own member list, not the fleet file's endpoints. Quorum headroom
 * and the defragmentation order come from here, so a member the fleet does not list is still
 * counted (and defragmented), and a leader the fleet does not list is still moved and done last.
 */
@Singleton
public class ClusterMembers {
    private final EtcdClients clients;
    private final MemberProbe probe;

    public ClusterMembers(EtcdClients clients, MemberProbe probe) {
        this.clients = clients;
        this.probe = probe;
    }

    /** A voting member or learner of the cluster, reached on its first advertised client URL. */
    public record Seen(long id, String name, String endpoint, boolean learner, MemberStatus status) {
        public boolean healthy() {
            return status.healthyButMaybeFull();
        }
    }

    /** Every member of the member list with its status now; endpoint null for a member not started yet. */
    public List<Seen> list(ClusterSpec cluster) {
        List<Member> members = memberList(cluster);
        List<Seen> seen = new ArrayList<>();
        for (Member m : members) {
            String endpoint = m.getClientURIs().isEmpty()
                    ? null
                    : m.getClientURIs().get(0).toString();
            MemberStatus status = endpoint == null
                    ? MemberStatus.unreachable("(" + m.getName() + ")", "not started")
                    : probe.probe(cluster, endpoint, cluster.etcd().requestTimeoutOrDefault());
            seen.add(new Seen(m.getId(), m.getName(), endpoint, m.isLearner(), status));
        }
        return seen;
    }

    private List<Member> memberList(ClusterSpec cluster) {
        GuardianException last = null;
        for (String endpoint : cluster.etcd().endpoints()) {
            try {
                return clients.member(cluster, endpoint)
                        .getClusterClient()
                        .listMember()
                        .get(cluster.etcd().requestTimeoutOrDefault().toMillis(), TimeUnit.MILLISECONDS)
                        .getMembers();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuardianException(Reason.INTERNAL, "interrupted", e);
            } catch (Exception e) {
                last = new GuardianException(
                        Reason.ETCD_UNAVAILABLE,
                        "no member list from " + endpoint + ": " + e.getClass().getSimpleName(),
                        e);
            }
        }
        throw last != null ? last : new GuardianException(Reason.ETCD_UNAVAILABLE, "no endpoint for " + cluster.id());
    }
}
