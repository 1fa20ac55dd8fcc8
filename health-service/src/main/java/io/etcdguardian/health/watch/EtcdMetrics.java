package io.etcdguardian.health.watch;

import io.etcdguardian.common.etcd.MemberStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * etcd's own health numbers, as etcd names them, labelled by cluster and member, so that dashboards
 * and alerts written for etcd work on the fleet view ({@code guardian_etcd_mvcc_db_total_size_in_bytes}
 * …). A cluster this replica stops watching loses its series rather than showing stale values.
 */
@Singleton
public class EtcdMetrics {
    static final String DB_TOTAL = "guardian.etcd.mvcc.db.total.size.in.bytes";
    static final String DB_IN_USE = "guardian.etcd.mvcc.db.total.size.in.use.in.bytes";
    static final String QUOTA = "guardian.etcd.server.quota.backend.bytes";
    static final String IS_LEADER = "guardian.etcd.server.is.leader";
    static final String HAS_LEADER = "guardian.etcd.server.has.leader";
    static final String UP = "guardian.etcd.server.up";
    static final String RAFT_INDEX = "guardian.etcd.server.raft.index";
    static final String RAFT_TERM = "guardian.etcd.server.raft.term";
    static final String ALARMS = "guardian.etcd.server.alarms";
    static final List<String> ALARM_TYPES = List.of("NOSPACE", "CORRUPT");

    private final MeterRegistry registry;
    private final Map<String, Map<String, AtomicLong>> byCluster = new ConcurrentHashMap<>();

    private final Timer polls;

    public EtcdMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.polls = Timer.builder("guardian.health.poll")
                .description("one poll of one cluster: status of every" + " member and its alarms")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    /** How long polls take: p99 near the poll interval means the pool is too small for the fleet. */
    public Timer polls() {
        return polls;
    }

    void record(String cluster, long quota, List<MemberStatus> members, Set<String> alarms) {
        for (MemberStatus m : members) {
            String e = m.endpoint();
            set(cluster, e, UP, Tags.empty(), m.reachable() ? 1 : 0);
            if (!m.reachable()) {
                continue;
            }
            set(cluster, e, DB_TOTAL, Tags.empty(), m.dbSize());
            set(cluster, e, DB_IN_USE, Tags.empty(), m.dbSizeInUse());
            set(cluster, e, QUOTA, Tags.empty(), quota);
            set(cluster, e, IS_LEADER, Tags.empty(), m.isLeader() ? 1 : 0);
            set(cluster, e, HAS_LEADER, Tags.empty(), m.leaderId() != 0 ? 1 : 0);
            set(cluster, e, RAFT_INDEX, Tags.empty(), m.raftIndex());
            set(cluster, e, RAFT_TERM, Tags.empty(), m.raftTerm());
            for (String type : ALARM_TYPES) {
                set(cluster, e, ALARMS, Tags.of("alarm", type), alarms.contains(e + "/" + type) ? 1 : 0);
            }
        }
    }

    void forget(String cluster) {
        Map<String, AtomicLong> gone = byCluster.remove(cluster);
        if (gone != null) {
            registry.getMeters().stream()
                    .filter(meter -> cluster.equals(meter.getId().getTag("cluster")))
                    .forEach(registry::remove);
        }
    }

    /** The clusters this replica has series for: those it watches. */
    public Set<String> clusters() {
        return byCluster.keySet();
    }

    private void set(String cluster, String member, String name, Tags extra, long value) {
        Map<String, AtomicLong> gauges = byCluster.computeIfAbsent(cluster, k -> new ConcurrentHashMap<>());
        String key = name + "|" + member + "|" + extra;
        gauges.computeIfAbsent(key, k -> {
                    AtomicLong holder = new AtomicLong();
                    Gauge.builder(name, holder, AtomicLong::get)
                            .tags(extra.and("cluster", cluster, "member", member))
                            .register(registry);
                    return holder;
                })
                .set(value);
    }
}
