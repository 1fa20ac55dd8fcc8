package io.etcdguardian.health.watch;

import io.etcd.jetcd.maintenance.AlarmMember;
import io.etcd.jetcd.maintenance.AlarmType;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.etcd.MemberProbe;
import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.HealthChanged;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.work.WorkerPool;
import io.etcdguardian.health.config.HealthSettings;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls every member of every cluster this replica owns, each cluster at its own interval
 * ({@code etcd.pollInterval}, else {@code guardian.health.poll-interval}), on a bounded pool so that
 * one slow cluster does not delay the others. Each poll updates the etcd metrics, publishes a
 * {@code health.changed.v1} per change (member down/up, leader changed/lost, alarm raised/cleared),
 * and asks for maintenance: HEAL_NOSPACE once per alarm episode, DEFRAG when the {@link
 * MaintenancePolicy} says so, at most once per {@code defrag-cooldown}. Request ids are derived from
 * the episode or period, so a replica taking over a cluster repeats an id instead of adding work.
 * A CORRUPT alarm asks for nothing: it is for an operator or a restore.
 */
@Singleton
public class HealthWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(HealthWatcher.class);

    private final FleetRegistry fleet;
    private final MemberProbe probe;
    private final EtcdClients clients;
    private final EventPublisher events;
    private final EtcdMetrics metrics;
    private final OwnedClusters owned;
    private final HealthSettings settings;
    private final MaintenancePolicy policy;
    private final ExecutorService pool;
    private final Map<String, Watched> watched = new ConcurrentHashMap<>();

    /** Per cluster: when it is due, whether a poll is running, what the last poll saw and asked for. */
    private static final class Watched {
        volatile Instant due = Instant.EPOCH;
        volatile boolean running;
        volatile ClusterView view;
        volatile Instant nospaceSince;
        volatile String lastRequestId;
    }

    private final EtcdQuota quota;

    public HealthWatcher(
            FleetRegistry fleet,
            MemberProbe probe,
            EtcdClients clients,
            EventPublisher events,
            EtcdMetrics metrics,
            OwnedClusters owned,
            HealthSettings settings,
            EtcdQuota quota) {
        this.quota = quota;
        this.fleet = fleet;
        this.probe = probe;
        this.clients = clients;
        this.events = events;
        this.metrics = metrics;
        this.owned = owned;
        this.settings = settings;
        this.policy = new MaintenancePolicy(
                settings.defragMinDbBytes(), settings.defragMinFragmentation(), settings.defragMaxQuotaUse());
        this.pool = new WorkerPool("health-poll", settings.pollThreads());
    }

    @Scheduled(fixedDelay = "${guardian.health.tick:250ms}", initialDelay = "1s")
    public void tick() {
        Instant now = Instant.now();
        Set<String> mine = new HashSet<>();
        for (ClusterSpec cluster : fleet.current().all()) {
            if (!owned.owns(cluster.id())) {
                continue;
            }
            mine.add(cluster.id());
            Watched w = watched.computeIfAbsent(cluster.id(), k -> new Watched());
            if (w.running || now.isBefore(w.due)) {
                continue;
            }
            w.running = true;
            // on a fixed grid, so the tick's granularity does not stretch every interval
            java.time.Duration interval = cluster.etcd().pollIntervalOr(settings.pollInterval());
            Instant next = w.due.plus(interval);
            w.due = next.isAfter(now) ? next : now.plus(interval);
            pool.execute(() -> {
                try {
                    metrics.polls().record(() -> poll(cluster, w));
                } catch (RuntimeException e) {
                    LOG.warn("cannot poll {}: {}", cluster.id(), e.toString());
                } finally {
                    w.running = false;
                }
            });
        }
        // clusters gone from the fleet or handed to another replica: forget them here
        watched.keySet().removeIf(id -> !mine.contains(id));
        metrics.clusters().stream().filter(id -> !mine.contains(id)).toList().forEach(metrics::forget);
    }

    private void poll(ClusterSpec cluster, Watched w) {
        try (EtcdClients.Pin pin = clients.pin(cluster)) {
            poll(cluster, w, probe.probe(cluster));
        }
    }

    private void poll(ClusterSpec cluster, Watched w, List<MemberStatus> members) {
        Set<String> alarms = alarms(cluster, members).orElse(w.view == null ? Set.of() : w.view.alarms());
        quota.refresh(cluster, members);
        metrics.record(cluster.id(), quota.of(cluster), members, alarms);

        ClusterView view = ClusterView.of(members, alarms);
        Instant now = Instant.now();
        for (HealthChanged change : HealthChanges.between(cluster.id(), w.view, view, now)) {
            LOG.info(
                    "{}: {} {} {}",
                    cluster.id(),
                    change.change(),
                    change.member() == null ? "" : change.member(),
                    change.alarm() == null ? "" : change.alarm());
            events.publish(change);
        }
        w.view = view;

        boolean nospace = alarms.stream().anyMatch(a -> a.endsWith("/NOSPACE"));
        if (nospace) {
            if (w.nospaceSince == null) {
                w.nospaceSince = now;
            }
            request(
                    cluster,
                    w,
                    cluster.id() + "/nospace/" + w.nospaceSince,
                    MaintenanceRequested.Action.HEAL_NOSPACE,
                    "NOSPACE alarm raised (seen since " + w.nospaceSince + ")");
            return;
        }
        w.nospaceSince = null;
        if (alarms.stream().anyMatch(a -> a.endsWith("/CORRUPT"))) {
            return; // never defragment a corrupt member: the event above told the operator
        }
        policy.decide(members, quota.of(cluster)).ifPresent(reason -> {
            long period =
                    now.getEpochSecond() / Math.max(1, settings.defragCooldown().toSeconds());
            request(cluster, w, cluster.id() + "/defrag/" + period, MaintenanceRequested.Action.DEFRAG, reason);
        });
    }

    /** Publishes a maintenance request once: later polls of the same episode derive the same id and stay quiet. */
    private void request(
            ClusterSpec cluster, Watched w, String operation, MaintenanceRequested.Action action, String reason) {
        String id = EventEnvelope.deterministicId(operation, MaintenanceRequested.TYPE);
        if (id.equals(w.lastRequestId)) {
            return;
        }
        if (!settings.autoMaintenance()) {
            w.lastRequestId = id;
            LOG.info(
                    "{} of {} is due ({}); not asked for: guardian.health.auto-maintenance is false",
                    action,
                    cluster.id(),
                    reason);
            return;
        }
        events.publish(id, new MaintenanceRequested(cluster.id(), action, reason, "health-watch", Instant.now()));
        w.lastRequestId = id;
        LOG.info("asked for {} of {}: {}", action, cluster.id(), reason);
    }

    /** {@code endpoint/NOSPACE}, {@code endpoint/CORRUPT} for every raised alarm; empty when no member answers. */
    private Optional<Set<String>> alarms(ClusterSpec cluster, List<MemberStatus> members) {
        Map<Long, String> endpoints = new HashMap<>();
        members.stream().filter(MemberStatus::reachable).forEach(m -> endpoints.put(m.memberId(), m.endpoint()));
        Optional<MemberStatus> reachable =
                members.stream().filter(MemberStatus::reachable).findFirst();
        if (reachable.isEmpty()) {
            return Optional.empty();
        }
        List<AlarmMember> raised;
        try {
            raised = clients.member(cluster, reachable.get().endpoint())
                    .getMaintenanceClient()
                    .listAlarms()
                    .get(cluster.etcd().requestTimeoutOrDefault().toMillis(), TimeUnit.MILLISECONDS)
                    .getAlarms();
        } catch (Exception e) {
            LOG.warn("cannot list alarms of {}: {}", cluster.id(), e.getClass().getSimpleName());
            return Optional.empty();
        }
        Set<String> alarms = new HashSet<>();
        for (AlarmMember alarm : raised) {
            String member = endpoints.getOrDefault(alarm.getMemberId(), Long.toHexString(alarm.getMemberId()));
            // etcd has NOSPACE and CORRUPT; jetcd names only the first and reads the other as UNRECOGNIZED
            if (alarm.getAlarmType() == AlarmType.NOSPACE) {
                alarms.add(member + "/NOSPACE");
            } else if (alarm.getAlarmType() != AlarmType.NONE) {
                alarms.add(member + "/CORRUPT");
            }
        }
        return Optional.of(alarms);
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }
}
