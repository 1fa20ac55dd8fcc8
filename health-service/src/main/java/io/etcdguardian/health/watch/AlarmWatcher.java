package io.etcdguardian.health.watch;

import io.etcd.jetcd.maintenance.AlarmMember;
import io.etcd.jetcd.maintenance.AlarmType;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.etcd.MemberProbe;
import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls every member of every cluster: exports etcd's own numbers per cluster and member (db size,
 * size in use, leader, raft index); when a NOSPACE alarm is raised, asks for a heal once per alarm
 * episode (the request id is derived from the episode, so every poll repeats the same id); when the
 * {@link MaintenancePolicy} finds a member too fragmented or too close to its quota, asks for a
 * defragmentation at most once per {@code guardian.health.defrag-cooldown} (an id per period).
 */
@Singleton
public class AlarmWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmWatcher.class);

    private final FleetRegistry fleet;
    private final MemberProbe probe;
    private final EtcdClients clients;
    private final EventPublisher events;
    private final MeterRegistry meters;
    private final Map<String, Instant> nospaceSince = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
    private final MaintenancePolicy policy = MaintenancePolicy.DEFAULT;
    private final java.time.Duration cooldown;

    public AlarmWatcher(FleetRegistry fleet, MemberProbe probe, EtcdClients clients, EventPublisher events,
                        MeterRegistry meters,
                        @io.micronaut.context.annotation.Value("${guardian.health.defrag-cooldown:6h}") java.time.Duration cooldown) {
        this.fleet = fleet;
        this.probe = probe;
        this.clients = clients;
        this.events = events;
        this.meters = meters;
        this.cooldown = cooldown;
    }

    @Scheduled(fixedDelay = "${guardian.health.poll-interval:10s}", initialDelay = "${guardian.health.poll-interval:10s}")
    public void poll() {
        for (ClusterSpec cluster : fleet.current().all()) {
            try {
                poll(cluster);
            } catch (RuntimeException e) {
                LOG.warn("cannot poll {}: {}", cluster.id(), e.toString());
            }
        }
    }

    void poll(ClusterSpec cluster) {
        List<MemberStatus> members = probe.probe(cluster);
        for (MemberStatus m : members) {
            String member = m.endpoint();
            gauge("guardian.etcd.db.size", cluster.id(), member).set(m.dbSize());
            gauge("guardian.etcd.db.size.in.use", cluster.id(), member).set(m.dbSizeInUse());
            gauge("guardian.etcd.raft.index", cluster.id(), member).set(m.raftIndex());
            gauge("guardian.etcd.leader", cluster.id(), member).set(m.isLeader() ? 1 : 0);
            gauge("guardian.etcd.up", cluster.id(), member).set(m.reachable() ? 1 : 0);
        }
        policy.decide(members, cluster.etcd().quotaOrDefault()).ifPresent(reason -> {
            long period = Instant.now().getEpochSecond() / Math.max(1, cooldown.toSeconds());
            events.publish(EventEnvelope.deterministicId(cluster.id() + "/defrag/" + period, MaintenanceRequested.TYPE),
                    new MaintenanceRequested(cluster.id(), MaintenanceRequested.Action.DEFRAG, reason, "health-watch",
                            Instant.now()));
        });
        MemberStatus reachable = members.stream().filter(MemberStatus::reachable).findFirst().orElse(null);
        if (reachable == null) {
            return;
        }
        List<AlarmMember> alarms;
        try {
            alarms = clients.member(cluster, reachable.endpoint()).getMaintenanceClient().listAlarms()
                    .get(cluster.etcd().requestTimeoutOrDefault().toMillis(), TimeUnit.MILLISECONDS).getAlarms();
        } catch (Exception e) {
            LOG.warn("cannot list alarms of {}: {}", cluster.id(), e.getClass().getSimpleName());
            return;
        }
        gauge("guardian.etcd.alarms.nospace", cluster.id(), "all").set(
                alarms.stream().filter(a -> a.getAlarmType() == AlarmType.NOSPACE).count());
        boolean nospace = alarms.stream().anyMatch(a -> a.getAlarmType() == AlarmType.NOSPACE);
        if (!nospace) {
            nospaceSince.remove(cluster.id());
            return;
        }
        Instant since = nospaceSince.computeIfAbsent(cluster.id(), k -> Instant.now());
        events.publish(EventEnvelope.deterministicId(cluster.id() + "/nospace/" + since, MaintenanceRequested.TYPE),
                new MaintenanceRequested(cluster.id(), MaintenanceRequested.Action.HEAL_NOSPACE,
                        "NOSPACE alarm raised (seen since " + since + ")", "health-watch", Instant.now()));
    }

    private AtomicLong gauge(String name, String cluster, String member) {
        return gauges.computeIfAbsent(name + "|" + cluster + "|" + member, k -> meters.gauge(name,
                List.of(Tag.of("cluster", cluster), Tag.of("member", member)), new AtomicLong()));
    }
}
