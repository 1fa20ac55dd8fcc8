package io.etcdguardian.health.defrag;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.AlarmMember;
import io.etcd.jetcd.maintenance.AlarmType;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.etcd.MemberProbe;
import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.operation.DomainSlots;
import io.etcdguardian.common.operation.HeldLease;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.operation.Operations;
import io.etcdguardian.common.operation.SnapshotFirst;
import io.etcdguardian.common.operation.StepRun;
import io.etcdguardian.health.config.HealthSettings;
import io.etcdguardian.health.watch.EtcdQuota;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Safe defragmentation, as the OpenShift procedure and the field's lessons want it:
 * {@code checkAllHealthy → compact → for each follower: defrag, wait until it answers, settle, check
 * it shrank → move leadership away → defrag the former leader → disarm NOSPACE once every member is
 * below the quota threshold}. It aborts when any member is unreachable or unhealthy before a step
 * (defragmenting one member while another is down can cost quorum), never touches learners, and never
 * disarms CORRUPT. Every step is a {@code maintenance.progress.v1} event. With {@code snapshot-first}
 * a committed snapshot comes before anything is touched. A request made before a defragmentation of
 * the same cluster that then completed is answered by it (SKIPPED) instead of running again.
 */
@Singleton
public class DefragWorkflow {
    private static final Logger LOG = LoggerFactory.getLogger(DefragWorkflow.class);

    private final MemberProbe probe;
    private final EtcdClients clients;
    private final EventPublisher events;
    private final HealthSettings settings;
    private final SnapshotFirst snapshotFirst;
    private final MeterRegistry meters;
    private final Operations operations;
    private final ClusterMembers clusterMembers;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Completed> completed = new ConcurrentHashMap<>();
    // the concrete plan of each running operation: its events say "step i of n" against it
    private final ConcurrentHashMap<String, List<String>> plans = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger abandoned = new java.util.concurrent.atomic.AtomicInteger();

    private record Completed(String operationId, Instant startedAt) {}

    private static final List<String> PLAN = List.of(
            "snapshot (when snapshot-first)",
            "check health and alarms",
            "compact (NOSPACE, or defrag-compacts)",
            "defrag each follower",
            "move leadership away",
            "defrag the former leader",
            "disarm NOSPACE below the quota ratio");

    private final EtcdQuota quota;
    private final DomainSlots domainSlots;

    public DefragWorkflow(
            MemberProbe probe,
            EtcdClients clients,
            EventPublisher events,
            HealthSettings settings,
            SnapshotFirst snapshotFirst,
            MeterRegistry meters,
            Operations operations,
            ClusterMembers clusterMembers,
            EtcdQuota quota,
            DomainSlots domainSlots) {
        this.quota = quota;
        this.domainSlots = domainSlots;
        this.clusterMembers = clusterMembers;
        this.operations = operations;
        this.probe = probe;
        this.clients = clients;
        this.events = events;
        this.settings = settings;
        this.snapshotFirst = snapshotFirst;
        this.meters = meters;
    }

    /**
     * Runs the maintenance as one operation ({@link Operations}): once per id, under the cluster's
     * defrag lease, refused on a paused cluster, with one final event — COMPLETED, FAILED or REFUSED —
     * that a redelivered request repeats instead of running again. Returns the endpoints in the
     * order they were defragmented (empty when it did not run).
     */
    public List<String> run(ClusterSpec cluster, String operationId, Instant requestedAt) {
        ReentrantLock lock = locks.computeIfAbsent(cluster.id(), k -> new ReentrantLock());
        lock.lock(); // requests of one cluster queue here; a request answered by the run before it is SKIPPED
        try (EtcdClients.Pin pin = clients.pin(cluster)) { // its clients stay open even if the fleet drops it meanwhile
            Completed last = completed.get(cluster.id());
            if (last != null && !last.operationId().equals(operationId) && !requestedAt.isAfter(last.startedAt())) {
                progress(
                        cluster,
                        operationId,
                        "maintenance",
                        ProgressStatus.SKIPPED,
                        null,
                        "answered by " + last.operationId() + ", which started after this request and completed",
                        null,
                        null);
                return List.of();
            }
            Instant startedAt = Instant.now();
            List<String> order = new ArrayList<>();
            Operations.Result result = operations.run(cluster, OperationKind.DEFRAG, operationId, null, PLAN, run -> {
                if (settings.snapshotFirst()) {
                    run.step("snapshot", () -> snapshot(cluster, operationId, requestedAt));
                }
                order.addAll(defragment(cluster, operationId, run));
                return "defragmented " + order;
            });
            if (result.abandoned()) {
                abandoned.incrementAndGet();
                return List.of(); // another replica owns the operation now and will end it
            }
            OperationRecord end = result.record();
            if (!result.replayed()) {
                record(cluster, startedAt, end.status().name().toLowerCase(java.util.Locale.ROOT));
            }
            if (end.status() == OperationRecord.Status.COMPLETED) {
                completed.put(cluster.id(), new Completed(operationId, startedAt));
            }
            progress(
                    cluster,
                    operationId,
                    "maintenance",
                    end.status().asProgress(),
                    null,
                    end.reason() == null ? end.detail() : end.reason() + ": " + end.detail(),
                    null,
                    null);
            return order;
        } finally {
            plans.remove(operationId);
            lock.unlock();
        }
    }

    /** Operations this replica stopped because another took them over (its fencing check failed). */
    public int abandoned() {
        return abandoned.get();
    }

    /** How long maintenance of a cluster takes (settle periods included), and how often it fails. */
    private void record(ClusterSpec cluster, Instant startedAt, String result) {
        Timer.builder("guardian.defrag.duration")
                .description("snapshot-first + compact + defrag of every member")
                .tag("cluster", cluster.id())
                .tag("result", result)
                .register(meters)
                .record(Duration.between(startedAt, Instant.now()));
    }

    private void snapshot(ClusterSpec cluster, String operationId, Instant requestedAt) {
        progress(
                cluster,
                operationId,
                "snapshot",
                ProgressStatus.STARTED,
                null,
                "a snapshot before anything is touched",
                null,
                null);
        try {
            String snapshotId = snapshotFirst.ensure(cluster, operationId, requestedAt, settings.snapshotTimeout());
            progress(cluster, operationId, "snapshot", ProgressStatus.DONE, null, "snapshot " + snapshotId, null, null);
        } catch (RuntimeException e) {
            progress(cluster, operationId, "snapshot", ProgressStatus.FAILED, null, e.getMessage(), null, null);
            throw new GuardianException(
                    GuardianException.reasonOf(e),
                    "no snapshot before maintenance: " + e.getMessage() + ": nothing was defragmented",
                    e);
        }
    }

    /** What the plan is made from: the healthy members, a client to one of them, the raised alarms. */
    private record EtcdView(List<MemberStatus> members, Client any, List<AlarmMember> alarms) {}

    private EtcdView view(ClusterSpec cluster) {
        List<MemberStatus> members = requireHealthy(cluster);
        Client any = clients.member(cluster, members.get(0).endpoint());
        return new EtcdView(
                members,
                any,
                get(any.getMaintenanceClient().listAlarms(), cluster).getAlarms());
    }

    /**
     * Refuses a cluster with a CORRUPT alarm, then takes one of the {@code domain-defrags} slots of
     * the cluster's storage domain, awaited up to {@code domain-wait} (WAITING says who holds them):
     * many clusters on one disk array must not defragment together. A NOSPACE heal repairs an outage
     * and does not queue behind its domain's defrags. The plan is made once the slot is held, from
     * etcd's view then: a wait can be long.
     */
    private List<String> defragment(ClusterSpec cluster, String operationId, StepRun run) throws Exception {
        EtcdView view = view(cluster);
        // jetcd knows NOSPACE only: CORRUPT arrives as UNRECOGNIZED; either way it is for an operator or a restore
        if (view.alarms().stream()
                .anyMatch(a -> a.getAlarmType() != AlarmType.NOSPACE && a.getAlarmType() != AlarmType.NONE)) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "a CORRUPT (non-NOSPACE) alarm is raised: restore, do not defragment; it is never disarmed automatically");
        }
        boolean nospace = Boolean.parseBoolean(run.remember(
                "nospace",
                String.valueOf(view.alarms().stream().anyMatch(a -> a.getAlarmType() == AlarmType.NOSPACE))));
        if (cluster.storageDomain() == null || nospace) {
            return defragment(cluster, operationId, run, view, nospace);
        }
        try (DomainSlots.Held slot = domainSlots.take(
                cluster,
                OperationKind.DEFRAG,
                operationId,
                settings.domainDefrags(),
                settings.domainWait(),
                waiting ->
                        progress(cluster, operationId, "defrag", ProgressStatus.WAITING, null, waiting, null, null))) {
            return defragment(cluster, operationId, run, view(cluster), nospace);
        }
    }

    /**
     * The plan, from {@code view}: compact, each follower, move the leader, the former leader,
     * disarm. Journaled step by step: a defragmentation resumed after a crash skips what was done (a
     * member defragmented before keeps its step even if leadership moved since).
     */
    private List<String> defragment(
            ClusterSpec cluster, String operationId, StepRun run, EtcdView view, boolean nospace) throws Exception {
        HeldLease lease = run.lease();
        List<MemberStatus> members = view.members();
        Client any = view.any();
        MemberStatus leader = members.stream()
                .filter(MemberStatus::isLeader)
                .findFirst()
                .orElseThrow(() -> new GuardianException(
                        Reason.ETCD_UNAVAILABLE,
                        "no member of " + cluster.id()
                                + " says it is the leader (an election under way?): nothing defragmented"));
        List<MemberStatus> followers = members.stream()
                .filter(m -> !m.isLeader())
                .sorted(Comparator.comparing(MemberStatus::endpoint))
                .toList();
        // a NOSPACE heal compacts to the head, as etcd's runbook does; a plain defrag leaves history to the
        // API server's own compaction (every 5 min) unless told otherwise: compacting to the head makes
        // every informer that is behind relist
        boolean compacts = nospace || settings.defragCompacts();
        long keep = nospace ? 0 : settings.keepRevisions();
        List<String> plan = new ArrayList<>(compacts ? List.of("compact") : List.of());
        followers.forEach(f -> plan.add("defrag " + f.endpoint()));
        if (!followers.isEmpty()) {
            plan.add("move-leader");
        }
        plan.add("defrag " + leader.endpoint());
        if (nospace) {
            plan.add("disarm");
        }
        run.plan(plan);
        List<String> placed = new ArrayList<>(settings.snapshotFirst() ? List.of("snapshot") : List.of());
        placed.addAll(plan);
        plans.put(operationId, placed);

        if (compacts) {
            run.step("compact", () -> compact(cluster, operationId, members, any, keep));
        }
        List<String> order = new ArrayList<>();
        int step = 0;
        for (MemberStatus follower : followers) {
            String detail = "member " + (++step) + " of " + members.size() + " (follower)";
            // should it lead by its turn: hand leadership to a member done already, else to the last one planned
            List<String> heirs = new ArrayList<>(order);
            heirs.add(leader.endpoint());
            if (!run.step(
                    "defrag " + follower.endpoint(),
                    () -> defragOne(cluster, operationId, lease, follower, detail, heirs))) {
                progress(
                        cluster,
                        operationId,
                        "defrag",
                        ProgressStatus.SKIPPED,
                        follower.endpoint(),
                        "done before the" + " defragmentation was resumed",
                        null,
                        null);
            }
            order.add(follower.endpoint());
        }
        // the leader last, and not as the leader: hand leadership to a defragmented follower first
        if (!followers.isEmpty()) {
            run.step("move-leader", () -> {
                // leadership may have moved since the plan (an election, a member that took it and was moved
                // off before its own defrag): only the member still to be defragmented must not lead
                List<MemberStatus> now = requireHealthy(cluster);
                if (!moveLeadershipOff(cluster, operationId, lease, leader, now, List.copyOf(order), "")) {
                    String leading = now.stream()
                            .filter(MemberStatus::isLeader)
                            .map(MemberStatus::endpoint)
                            .findFirst()
                            .orElse("no member");
                    progress(
                            cluster,
                            operationId,
                            "move-leader",
                            ProgressStatus.SKIPPED,
                            leader.endpoint(),
                            "leadership is with " + leading + " already",
                            null,
                            null);
                }
            });
        }
        // resumed after leadership moved, the leader now may be a member done before: say so, as for followers
        if (!run.step(
                "defrag " + leader.endpoint(),
                () -> defragOne(
                        cluster,
                        operationId,
                        lease,
                        leader,
                        "member " + members.size() + " of " + members.size() + " (former leader, last)",
                        List.copyOf(order)))) {
            progress(
                    cluster,
                    operationId,
                    "defrag",
                    ProgressStatus.SKIPPED,
                    leader.endpoint(),
                    "done before the" + " defragmentation was resumed",
                    null,
                    null);
        }
        order.add(leader.endpoint());
        if (nospace) {
            run.step("disarm", () -> disarmIfRoom(cluster, operationId, lease, any));
        }
        return order;
    }

    private void compact(ClusterSpec cluster, String operationId, List<MemberStatus> members, Client any, long keep) {
        long revision = members.stream().mapToLong(MemberStatus::revision).max().orElse(0);
        long target = Math.max(1, revision - keep);
        progress(cluster, operationId, "compact", ProgressStatus.STARTED, null, "to revision " + target, null, null);
        try {
            get(
                    any.getKVClient()
                            .compact(
                                    target,
                                    CompactOption.builder()
                                            .withCompactPhysical(true)
                                            .build()),
                    cluster);
        } catch (GuardianException e) {
            if (!String.valueOf(e.getCause()).contains("compacted")) {
                throw e;
            }
        }
        progress(cluster, operationId, "compact", ProgressStatus.DONE, null, "to revision " + target, null, null);
    }

    private void defragOne(
            ClusterSpec cluster,
            String operationId,
            HeldLease lease,
            MemberStatus member,
            String detail,
            List<String> heirs) {
        Failpoints.hit("defrag.member");
        List<MemberStatus> now = requireHealthy(cluster);
        moveLeadershipOff(
                cluster, operationId, lease, member, now, heirs, ": it became the leader since the plan was made");
        long before = now.stream()
                .filter(m -> m.endpoint().equals(member.endpoint()))
                .findFirst()
                .map(MemberStatus::dbSize)
                .orElse(member.dbSize());
        Duration timeout = settings.memberTimeout(before);
        progress(cluster, operationId, "defrag", ProgressStatus.STARTED, member.endpoint(), detail, before, null);
        MemberStatus after = null;
        for (int attempt = 1; attempt <= settings.memberAttempts() && after == null; attempt++) {
            lease.verify();
            try {
                clients.member(cluster, member.endpoint())
                        .getMaintenanceClient()
                        .defragmentMember(member.endpoint())
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                after = awaitDone(cluster, member, doneWithin(before));
            } catch (java.util.concurrent.TimeoutException e) {
                // our deadline passed, etcd's defragmentation did not stop: the member stays busy until etcd
                // itself shows it is done, and no other member is touched before that
                progress(
                        cluster,
                        operationId,
                        "defrag",
                        ProgressStatus.WAITING,
                        member.endpoint(),
                        "no answer within " + timeout + " (attempt " + attempt
                                + "); waiting until etcd shows the member is done",
                        before,
                        null);
                MemberStatus done = awaitDone(cluster, member, doneWithin(before));
                if (done.dbSize() < before) {
                    after = done; // the defragmentation finished on etcd's side
                } else {
                    timeout = timeout.multipliedBy(2); // the seed's advice: raise the timeout when it times out
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuardianException(Reason.INTERNAL, "interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                GuardianException failed = new GuardianException(
                        Reason.ETCD_UNAVAILABLE, "defragmenting " + member.endpoint() + " failed: " + e.getCause(), e);
                progress(
                        cluster,
                        operationId,
                        "defrag",
                        ProgressStatus.FAILED,
                        member.endpoint(),
                        failed.getMessage(),
                        before,
                        null);
                throw failed;
            }
        }
        if (after == null) {
            GuardianException failed = new GuardianException(
                    Reason.TIMEOUT,
                    "defragmenting " + member.endpoint()
                            + " did not finish in " + settings.memberAttempts() + " attempts (last timeout " + timeout
                            + "); stopped before the next member",
                    null);
            progress(
                    cluster,
                    operationId,
                    "defrag",
                    ProgressStatus.FAILED,
                    member.endpoint(),
                    failed.getMessage(),
                    before,
                    null);
            throw failed;
        }
        Duration settled = awaitSettled(cluster, member);
        lease.verify(); // a replica replaced while it settled says nothing more: the successor reports the member
        String shrink = after.dbSize() <= before ? "shrank" : "did not shrink";
        progress(
                cluster,
                operationId,
                "defrag",
                ProgressStatus.DONE,
                member.endpoint(),
                detail + ", " + shrink + ", settled in " + settled.toMillis() + " ms",
                before,
                after.dbSize());
        LOG.info("defragmented {} ({}): {} -> {} bytes", member.endpoint(), detail, before, after.dbSize());
    }

    /**
     * Leadership moves on its own (an election, someone's move-leader): a member planned as a follower
     * may lead by the time its turn comes. Defragmenting the leader stalls every write of the cluster
     * for the length of it, so it hands leadership to another member first, as the planned step does:
     * to the first of {@code heirs} (members done, then the one planned last), so that leadership moves
     * as few times as it can — each move is a short stall of writes too. False when it does not lead.
     */
    private boolean moveLeadershipOff(
            ClusterSpec cluster,
            String operationId,
            HeldLease lease,
            MemberStatus member,
            List<MemberStatus> now,
            List<String> heirs,
            String because) {
        Optional<MemberStatus> leading = now.stream()
                .filter(m -> m.endpoint().equals(member.endpoint()))
                .filter(MemberStatus::isLeader)
                .findFirst();
        Optional<MemberStatus> to = now.stream()
                .filter(m -> !m.endpoint().equals(member.endpoint()))
                .min(Comparator.comparingInt(
                        m -> heirs.contains(m.endpoint()) ? heirs.indexOf(m.endpoint()) : heirs.size()));
        if (leading.isEmpty() || to.isEmpty()) {
            return false;
        }
        progress(
                cluster,
                operationId,
                "move-leader",
                ProgressStatus.STARTED,
                member.endpoint(),
                "to " + to.get().endpoint() + because,
                null,
                null);
        lease.verify();
        get(
                clients.member(cluster, member.endpoint())
                        .getMaintenanceClient()
                        .moveLeader(to.get().memberId()),
                cluster);
        progress(
                cluster,
                operationId,
                "move-leader",
                ProgressStatus.DONE,
                member.endpoint(),
                "to " + to.get().endpoint(),
                null,
                null);
        return true;
    }

    private void disarmIfRoom(ClusterSpec cluster, String operationId, HeldLease lease, Client any) {
        List<AlarmMember> nospace = get(any.getMaintenanceClient().listAlarms(), cluster).getAlarms().stream()
                .filter(a -> a.getAlarmType() == AlarmType.NOSPACE)
                .toList();
        if (nospace.isEmpty()) {
            return;
        }
        List<MemberStatus> members = requireHealthy(cluster);
        quota.refresh(cluster, members);
        long limit = (long) (quota.of(cluster) * settings.disarmBelowQuotaRatio());
        MemberStatus biggest = members.stream()
                .max(Comparator.comparingLong(MemberStatus::dbSize))
                .orElseThrow();
        if (biggest.dbSize() >= limit) {
            progress(
                    cluster,
                    operationId,
                    "disarm",
                    ProgressStatus.FAILED,
                    biggest.endpoint(),
                    "still " + biggest.dbSize() + " bytes, above " + limit + ": NOSPACE stays armed",
                    biggest.dbSize(),
                    null);
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "member " + biggest.endpoint() + " holds " + biggest.dbSize()
                            + " bytes after defragmentation, above " + limit + "; NOSPACE not disarmed");
        }
        lease.verify();
        for (AlarmMember alarm : nospace) {
            get(any.getMaintenanceClient().alarmDisarm(alarm), cluster);
        }
        progress(
                cluster,
                operationId,
                "disarm",
                ProgressStatus.DONE,
                null,
                "NOSPACE disarmed on " + nospace.size() + " member(s); largest database " + biggest.dbSize() + " bytes",
                null,
                null);
    }

    /**
     * Every voting member of etcd's own member list must answer and know a leader (NOSPACE is what we
     * are here to fix, anything else aborts): defragmenting one member while another is down can cost
     * quorum. Returns the voting members' statuses; learners are never defragmented.
     */
    private List<MemberStatus> requireHealthy(ClusterSpec cluster) {
        List<ClusterMembers.Seen> members = clusterMembers.list(cluster);
        for (ClusterMembers.Seen m : members) {
            if (!m.learner() && !m.healthy()) {
                MemberStatus s = m.status();
                throw new GuardianException(
                        Reason.ETCD_UNAVAILABLE,
                        "member " + m.name() + " (" + s.endpoint()
                                + ") is not healthy ("
                                + (s.reachable() ? "errors " + s.errors() + ", leader " + s.leaderId() : s.error())
                                + "): no defragmentation without quorum headroom");
            }
        }
        return members.stream()
                .filter(m -> !m.learner())
                .map(ClusterMembers.Seen::status)
                .toList();
    }

    /**
     * How long a member may take to show it is done once its defragmentation call returned or timed
     * out: four times the size-scaled timeout, and never less than two minutes — stopping the run is
     * the safe end, but not because our own deadline was short.
     */
    private Duration doneWithin(long dbSize) {
        Duration scaled = settings.memberTimeout(dbSize).multipliedBy(4);
        return scaled.compareTo(Duration.ofMinutes(2)) > 0 ? scaled : Duration.ofMinutes(2);
    }

    /**
     * Until etcd shows the member is done: it answers its status, knows a leader, serves a read of its
     * own (a member defragmenting holds its backend and serves none) and has applied what the others
     * had committed when the wait began.
     */
    private MemberStatus awaitDone(ClusterSpec cluster, MemberStatus member, Duration limit) {
        long target = probe.probe(cluster).stream()
                .filter(m -> m.reachable() && !m.endpoint().equals(member.endpoint()))
                .mapToLong(MemberStatus::raftIndex)
                .max()
                .orElse(0);
        Duration request = cluster.etcd().requestTimeoutOrDefault();
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            MemberStatus status = probe.probe(cluster, member.endpoint(), request);
            if (status.reachable()
                    && status.leaderId() != 0
                    && status.raftAppliedIndex() >= target
                    && servesReads(cluster, member.endpoint(), request)) {
                return status;
            }
            sleep(Duration.ofMillis(200));
        }
        throw new GuardianException(
                Reason.ETCD_UNAVAILABLE,
                member.endpoint() + " did not show it was done within " + limit
                        + " of its defragmentation: stopped before the next member; the member is left as etcd left it");
    }

    /**
     * Settling between members is a condition, not a fixed pause (three fixed 60 s pauses kept a full
     * cluster read-only for minutes): every member answers and names the same leader — no election
     * under way — and the defragmented member has applied what that leader had committed when the
     * check began. At most {@code guardian.health.settle}; reaching it is not an error, the next
     * member's own health check still runs before it is touched.
     */
    private Duration awaitSettled(ClusterSpec cluster, MemberStatus member) {
        Instant start = Instant.now();
        Instant deadline = start.plus(settings.settle());
        long target = -1;
        while (Instant.now().isBefore(deadline)) {
            List<MemberStatus> all = probe.probe(cluster);
            Optional<MemberStatus> leader =
                    all.stream().filter(MemberStatus::isLeader).findFirst();
            Optional<MemberStatus> self = all.stream()
                    .filter(m -> m.endpoint().equals(member.endpoint()))
                    .findFirst();
            boolean oneLeader = all.stream().allMatch(MemberStatus::reachable)
                    && all.stream().map(MemberStatus::leaderId).distinct().count() == 1
                    && leader.isPresent();
            if (oneLeader && self.isPresent()) {
                if (target < 0) {
                    target = leader.get().raftIndex();
                }
                if (self.get().raftAppliedIndex() >= target) {
                    Duration waited = Duration.between(start, Instant.now());
                    if (waited.compareTo(settings.settleMin()) < 0) {
                        sleep(settings.settleMin().minus(waited));
                    }
                    return Duration.between(start, Instant.now());
                }
            }
            sleep(Duration.ofMillis(100));
        }
        return settings.settle();
    }

    private boolean servesReads(ClusterSpec cluster, String endpoint, Duration timeout) {
        try {
            clients.member(cluster, endpoint)
                    .getKVClient()
                    .get(
                            ByteSequence.from(new byte[] {0}),
                            GetOption.builder()
                                    .withSerializable(true)
                                    .withCountOnly(true)
                                    .build())
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.INTERNAL, "interrupted", e);
        } catch (Exception e) {
            return false;
        }
    }

    private <T> T get(java.util.concurrent.CompletableFuture<T> future, ClusterSpec cluster) {
        try {
            return future.get(cluster.etcd().requestTimeoutOrDefault().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new GuardianException(
                    Reason.ETCD_UNAVAILABLE, "etcd call failed: " + e.getClass().getSimpleName(), e);
        }
    }

    private void progress(
            ClusterSpec cluster,
            String operationId,
            String step,
            ProgressStatus status,
            String member,
            String detail,
            Long before,
            Long after) {
        List<String> plan = plans.getOrDefault(operationId, List.of());
        int index = (plan.contains(step + " " + member) ? plan.indexOf(step + " " + member) : plan.indexOf(step)) + 1;
        try {
            events.publish(
                    EventEnvelope.deterministicId(
                            operationId + "/" + step + "/" + member + "/" + status, MaintenanceProgress.TYPE),
                    new MaintenanceProgress(
                            cluster.id(),
                            operationId,
                            step,
                            status,
                            member,
                            detail,
                            before,
                            after,
                            Instant.now(),
                            index == 0 ? null : index,
                            index == 0 ? null : plan.size()));
        } catch (RuntimeException e) {
            LOG.warn(
                    "could not publish progress of {}: {}",
                    operationId,
                    e.toString()); // a side channel never fails the work
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.INTERNAL, "interrupted", e);
        }
    }
}
