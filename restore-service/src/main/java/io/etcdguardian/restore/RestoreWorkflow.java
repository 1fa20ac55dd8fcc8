package io.etcdguardian.restore;

import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.operation.DomainSlots;
import io.etcdguardian.common.operation.LeaseLostException;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.operation.OperationRecord.Status;
import io.etcdguardian.common.operation.Operations;
import io.etcdguardian.common.operation.SnapshotFirst;
import io.etcdguardian.common.operation.StepRun;
import io.etcdguardian.common.progress.ProgressRate;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.restore.check.Preconditions;
import io.etcdguardian.restore.config.RestoreSettings;
import io.etcdguardian.restore.plan.PlanDigest;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.procedure.RestoreTargets;
import io.etcdguardian.restore.stage.SnapshotSources;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore from request to end, as an operation of the one model (README, "Operation model"):
 * choose the snapshot (an id, latest-verified by default), check the preconditions, plan the
 * target's steps and publish the plan with its digest (a dry run stops there), check that it is the
 * plan the operator approved, then run the steps in order under the cluster's restore lease, each
 * journaled in {@code guardian.operations} before moving on. A redelivered request finds the
 * journal and goes on at the first step not done — unless what a done step left has changed. A
 * failed step stops the restore where it is (never unpaused silently) and says how to resume.
 */
@Singleton
public class RestoreWorkflow {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreWorkflow.class);
    static final String PLAN_DIGEST = "plan.digest";
    static final String TARGET = "restore.target";
    static final String OVERRIDES = "restore.overrides";

    private final SnapshotCatalog catalog;
    private final Preconditions preconditions;
    private final RestoreTargets targets;
    private final OperationJournal journal;
    private final Operations operations;
    private final EventPublisher events;
    private final MeterRegistry meters;
    private final SnapshotFirst snapshotFirst;
    private final SnapshotStaging staging;
    private final DomainSlots domainSlots;
    private final RestoreSettings settings;

    public RestoreWorkflow(
            SnapshotCatalog catalog,
            Preconditions preconditions,
            RestoreTargets targets,
            OperationJournal journal,
            Operations operations,
            EventPublisher events,
            MeterRegistry meters,
            SnapshotFirst snapshotFirst,
            RestoreSettings settings,
            SnapshotStaging staging,
            DomainSlots domainSlots) {
        this.staging = staging;
        this.domainSlots = domainSlots;
        this.operations = operations;
        this.snapshotFirst = snapshotFirst;
        this.settings = settings;
        this.catalog = catalog;
        this.preconditions = preconditions;
        this.targets = targets;
        this.journal = journal;
        this.events = events;
        this.meters = meters;
    }

    /**
     * Plans a restore and, unless it is a dry run, runs it as an operation ({@link Operations}) and
     * publishes its one outcome. Failures are reported, not thrown.
     */
    public void handle(ClusterSpec cluster, String requestId, RestoreRequested request) {
        boolean resume = request.resumeRestoreId() != null;
        String restoreId = resume ? request.resumeRestoreId() : requestId;
        Optional<OperationRecord> known = journal.find(restoreId).filter(r -> r.kind() == OperationKind.RESTORE);
        if (resume && known.isEmpty()) {
            refuse(
                    cluster,
                    restoreId,
                    null,
                    new GuardianException(Reason.NOT_FOUND, "no restore " + restoreId + " to resume"),
                    false);
            return;
        }
        if (known.isPresent() && known.get().endedFor(resume)) {
            // one request, one outcome: a redelivered request says again how it ended; resuming a FAILED
            // restore is an operator's decision (--resume), which continues its journal
            report(cluster, new Operations.Result(known.get(), true, false));
            return;
        }
        RestoreRun run;
        List<RestoreStep> steps;
        String digest;
        List<String> overrides;
        RestoreTarget target;
        String subject;
        try {
            if (request.force()) {
                throw new GuardianException(
                        Reason.INVALID_REQUEST,
                        "'force' is no longer accepted: name what to accept"
                                + " instead (" + String.join(", ", new java.util.TreeSet<>(RestoreRequested.OVERRIDES))
                                + "); nothing overrides the target check or the one-restore-per-cluster lease");
            }
            if (cluster.isPaused()) {
                throw new GuardianException(
                        Reason.PAUSED, "cluster " + cluster.id() + " is paused (fleet 'paused: true')");
            }
            overrides = known.map(r -> split(r.facts().get(OVERRIDES))).orElse(request.overrides());
            if (known.isEmpty() && !request.dryRun()) {
                refuseIfAnotherIsOpen(
                        cluster, restoreId, overrides.contains(RestoreRequested.SUPERSEDE_STOPPED_RESTORE));
            }
            target = targets.choose(
                    cluster, known.map(r -> r.facts().get(TARGET)).orElse(request.target()));
            String source = known.map(OperationRecord::subject)
                    .orElseGet(() -> request.isPointInTime()
                            ? pointInTimeSnapshot(cluster, restoreId, request)
                            : request.snapshotId());
            java.util.Map<String, String> facts =
                    known.map(OperationRecord::facts).orElse(java.util.Map.of());
            // a writers-stopped restore has its snapshot once it took it (journaled); before, a placeholder
            SnapshotManifest manifest = facts.containsKey(SnapshotSources.TAKEN)
                    ? catalog.require(cluster, facts.get(SnapshotSources.TAKEN))
                    : SnapshotSources.special(source)
                            ? SnapshotSources.placeholder(
                                    cluster.id(),
                                    source,
                                    target.kind(),
                                    known.map(OperationRecord::startedAt).orElse(Instant.now()))
                            : catalog.require(cluster, source);
            List<String> notes = new java.util.ArrayList<>(preconditions.check(
                    cluster,
                    manifest,
                    source,
                    target.kind(),
                    overrides.contains(RestoreRequested.ACCEPT_VERSION_MISMATCH),
                    facts));
            overrides.forEach(o -> notes.add("override in force: " + o));
            run = new RestoreRun(
                    cluster,
                    manifest,
                    restoreId,
                    known.map(OperationRecord::startedAt).orElse(Instant.now()),
                    known.map(OperationRecord::facts).orElse(java.util.Map.of()),
                    known.map(OperationRecord::done).orElse(List.of()),
                    request.dryRun(),
                    request.apiServerReplicas(),
                    overrides);
            run.sourcedFrom(source);
            subject = SnapshotSources.special(source) ? source : manifest.snapshotId();
            // a writers-stopped snapshot is the pre-restore backup: taken once writers stopped, then restored
            steps = SnapshotSources.writersStopped(source)
                    ? target.plan(run)
                    : withBackupFirst(target.plan(run), restoreId);
            notes.addAll(run.notes());
            digest = PlanDigest.of(subject, target.kind().wire(), overrides, steps, restoreId, run.shortId());
            int done = known.map(r -> r.done().size()).orElse(0);
            events.publish(
                    EventEnvelope.deterministicId(restoreId + "/plan/" + done, RestorePlanned.TYPE),
                    new RestorePlanned(
                            cluster.id(),
                            restoreId,
                            manifest.snapshotId(),
                            target.kind().wire(),
                            request.dryRun(),
                            steps.stream()
                                    .map(s ->
                                            new RestorePlanned.Step(s.name(), s.description(), s.touches(), s.manual()))
                                    .toList(),
                            digest,
                            notes,
                            manifest.sizeRaw()));
            notes.forEach(note -> progress(cluster, restoreId, "preconditions", ProgressStatus.DONE, note));
            if (request.dryRun()) {
                return;
            }
            approve(restoreId, known, request, digest);
            LOG.info(
                    "restoring {} from {} ({}, restore {})",
                    cluster.id(),
                    manifest.snapshotId(),
                    target.kind(),
                    restoreId);
        } catch (RuntimeException e) {
            refuse(cluster, restoreId, request.snapshotId(), e, !request.dryRun());
            return;
        }
        // one restore per cluster across replicas, and no defrag or retention while it runs
        Operations.Start start = new Operations.Start(
                cluster,
                OperationKind.RESTORE,
                restoreId,
                subject,
                steps.stream().map(RestoreStep::name).toList(),
                java.util.Map.of(
                        PLAN_DIGEST, digest, TARGET, target.kind().wire(), OVERRIDES, String.join(",", overrides)),
                resume);
        report(cluster, operations.run(start, operation -> {
            run.runAs(operation);
            switch (operation.start()) {
                case RESUMED ->
                    changedWhileInterrupted(run, steps).ifPresent(changed -> {
                        throw new GuardianException(
                                Reason.PRECONDITION_FAILED,
                                "changed while the restore was"
                                        + " interrupted: " + changed
                                        + ". Nothing was touched; check the cluster, then resume on"
                                        + " purpose");
                    });
                case REOPENED -> {
                    // resumed on purpose: what no longer holds is established again by its (idempotent) step first
                    List<String> redo = steps.stream()
                            .filter(s ->
                                    run.done(s.name()) && s.holds().changed(run).isPresent())
                            .map(RestoreStep::name)
                            .toList();
                    redo.forEach(name ->
                            progress(cluster, restoreId, name, ProgressStatus.REDO, "no longer holds; done again"));
                    operation.redo(redo);
                }
                case NEW -> {}
            }
            // at most domain-restores restores at once per storage domain: the array under many clusters is shared
            try (DomainSlots.Held slot = domainSlots.take(
                    cluster,
                    OperationKind.RESTORE,
                    restoreId,
                    settings.domainRestores(),
                    settings.domainWait(),
                    waiting -> progress(cluster, restoreId, "storage-domain", ProgressStatus.WAITING, waiting))) {
                return execute(cluster, run, steps, operation);
            }
        }));
    }

    /**
     * A restore to a revision or a time restores the snapshot snapshot-service makes of that moment; the
     * dry run and the request applying its plan are two operations asking for the same point, and get the
     * same snapshot (so the digest holds). A resumed restore has it journaled as its subject.
     */
    private String pointInTimeSnapshot(ClusterSpec cluster, String restoreId, RestoreRequested request) {
        String point = request.toRevision() != null ? "revision " + request.toRevision() : "time " + request.toTime();
        progress(
                cluster, restoreId, "point-in-time", ProgressStatus.STARTED, "the snapshot of " + point + " asked for");
        String snapshotId = snapshotFirst.pointInTime(
                cluster,
                request.toRevision(),
                request.toTime(),
                restoreId,
                settings.backupFirstTimeout(),
                "restore-service");
        progress(
                cluster, restoreId, "point-in-time", ProgressStatus.DONE, "snapshot " + snapshotId + " holds " + point);
        return snapshotId;
    }

    /**
     * The pre-restore backup is the plan's first step, so it finishes — or is recorded as skipped,
     * with the reason — before anything is replaced, instead of racing the restore. A cluster that
     * cannot be snapshotted may be exactly why it is restored: then the restore goes on, and says so.
     */
    private List<RestoreStep> withBackupFirst(List<RestoreStep> steps, String restoreId) {
        if (!settings.backupFirst()) {
            return steps;
        }
        Duration timeout = settings.backupFirstTimeout();
        RestoreStep backup = new RestoreStep(
                "pre-restore-backup",
                "a snapshot of the cluster as it is now, before"
                        + " anything is replaced; skipped with the reason when it cannot be taken",
                List.of("backup.requested.v1 PRE_RESTORE pre-restore/" + restoreId + ", waited for up to " + timeout),
                r -> {
                    try {
                        return "snapshot "
                                + snapshotFirst.ensure(
                                        r.cluster(),
                                        Trigger.PRE_RESTORE,
                                        r.restoreId(),
                                        r.startedAt(),
                                        timeout,
                                        "restore-service")
                                + " taken";
                    } catch (GuardianException e) {
                        r.remember("pre-restore-backup", "skipped");
                        return "skipped: " + GuardianException.reasonOf(e) + ": " + e.getMessage();
                    }
                });
        List<RestoreStep> all = new java.util.ArrayList<>();
        all.add(backup);
        all.addAll(steps);
        return all;
    }

    /**
     * Apply the plan you saw: a new destructive restore carries the digest of the plan it was shown,
     * which must be the plan that would run now; a resumed one must still have the plan it was
     * approved with (journaled with the restore).
     */
    private static void approve(
            String restoreId, Optional<OperationRecord> known, RestoreRequested request, String digest) {
        if (known.isPresent()) {
            String approvedDigest = known.get().facts().get(PLAN_DIGEST);
            if (approvedDigest != null && !approvedDigest.equals(digest)) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "the plan of restore " + restoreId
                                + " is no longer the one approved (approved " + approvedDigest + ", now " + digest
                                + "): the cluster, the snapshot or the fleet changed; review it and start a new restore");
            }
            return;
        }
        if (request.planDigest() == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "a restore applies the plan it was shown: ask for"
                            + " a dry run and send its planDigest with the request (guardianctl restore does both); this"
                            + " plan's digest is " + digest);
        }
        if (!request.planDigest().equals(digest)) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "the plan changed since it was shown (shown " + request.planDigest() + ", now " + digest
                            + "): review the new plan");
        }
    }

    /** A restore resumed on its own re-checks what its done steps left before it acts again. */
    private static Optional<String> changedWhileInterrupted(RestoreRun run, List<RestoreStep> steps) {
        List<String> changes = new java.util.ArrayList<>();
        for (RestoreStep step : steps) {
            if (run.done(step.name())) {
                step.holds().changed(run).ifPresent(c -> changes.add(step.name() + ": " + c));
            }
        }
        return changes.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", changes));
    }

    private String execute(ClusterSpec cluster, RestoreRun run, List<RestoreStep> steps, StepRun operation)
            throws Exception {
        String restoreId = run.restoreId();
        // an operator resuming a restore handed over at a host step says the host steps are done
        String confirmedFrom = operation.stoppedBefore().orElse(null);
        boolean confirming = false;
        for (RestoreStep step : steps) {
            int index = steps.indexOf(step) + 1;
            if (operation.done(step.name())) {
                progress(
                        cluster,
                        restoreId,
                        step.name(),
                        ProgressStatus.SKIPPED,
                        "done before the restore was resumed",
                        index,
                        steps.size(),
                        null,
                        null);
                continue;
            }
            confirming = step.manual() && (confirming || step.name().equals(confirmedFrom));
            if (confirming) {
                operation.step(step.name(), () -> {});
                progress(
                        cluster,
                        restoreId,
                        step.name(),
                        ProgressStatus.DONE,
                        "done on the hosts (confirmed by the operator's" + " resume)",
                        index,
                        steps.size(),
                        null,
                        null);
                continue;
            }
            if (step.manual()) {
                operation.handOver(step.name());
                List<RestoreStep> hostSteps = hostSteps(steps.subList(steps.indexOf(step), steps.size()));
                boolean more = hostSteps.size() < steps.size() - steps.indexOf(step);
                return "the next steps run on the hosts, in order:\n"
                        + hostSteps.stream()
                                .map(s -> s.name() + ": " + String.join(" && ", s.touches()))
                                .collect(java.util.stream.Collectors.joining("\n"))
                        + (more
                                ? "\nthen: guardianctl restore " + cluster.id() + " --resume " + restoreId
                                        + " (the remaining steps run here)"
                                : "");
            }
            progress(
                    cluster,
                    restoreId,
                    step.name(),
                    ProgressStatus.STARTED,
                    step.description(),
                    index,
                    steps.size(),
                    null,
                    null);
            ProgressRate rate = new ProgressRate("restore-" + restoreId, settings.progressInterval());
            run.onFetched(bytes -> {
                if (rate.due()) {
                    progress(
                            cluster,
                            restoreId,
                            step.name(),
                            ProgressStatus.RUNNING,
                            "fetched " + bytes + " of " + run.manifest().sizeRaw() + " bytes",
                            index,
                            steps.size(),
                            bytes,
                            run.manifest().sizeRaw());
                }
            });
            java.util.concurrent.atomic.AtomicReference<String> detail =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Failpoints.hit("restore." + step.name() + ".before");
            try {
                operation.step(step.name(), () -> {
                    detail.set(step.action().run(run));
                    Failpoints.hit("restore." + step.name()); // done, not yet journaled: a resume runs it again
                });
            } catch (LeaseLostException e) {
                throw e;
            } catch (Exception e) {
                progress(
                        cluster,
                        restoreId,
                        step.name(),
                        ProgressStatus.FAILED,
                        GuardianException.reasonOf(e) + ": " + e.getMessage(),
                        index,
                        steps.size(),
                        null,
                        null);
                throw e;
            } finally {
                run.onFetched(bytes -> {});
            }
            progress(
                    cluster,
                    restoreId,
                    step.name(),
                    ProgressStatus.DONE,
                    detail.get(),
                    index,
                    steps.size(),
                    null,
                    null);
        }
        return SnapshotSources.memberDb(run.manifest().snapshotId())
                ? "restored from member 0's own member/snap/db"
                : "restored from " + run.manifest().snapshotId() + " (revision "
                        + run.manifest().revision() + ")";
    }

    /** The manual steps from the first one up to the next step this service runs. */
    private static List<RestoreStep> hostSteps(List<RestoreStep> rest) {
        int end = 0;
        while (end < rest.size() && rest.get(end).manual()) {
            end++;
        }
        return rest.subList(0, end);
    }

    /** Publishes how the restore ended, once per outcome; a restore another replica took over says nothing here. */
    private void report(ClusterSpec cluster, Operations.Result result) {
        if (result.abandoned()) {
            LOG.warn("restore {} of {} continues elsewhere", result.record().operationId(), cluster.id());
            return;
        }
        OperationRecord end = result.record();
        String restoreId = end.operationId();
        String detail = switch (end.status()) {
            case COMPLETED, HANDED_OVER -> end.detail();
            case REFUSED -> "refused before anything was touched: " + end.reason() + ": " + end.detail();
            case FAILED ->
                (end.stoppedAt() == null ? "" : "stopped at " + end.stoppedAt() + " (") + end.reason() + ": "
                        + end.detail() + (end.stoppedAt() == null ? "" : "); the cluster is left as that step left it")
                        + ". Fix the cause, then resume on purpose: guardianctl restore " + cluster.id() + " --resume "
                        + restoreId;
            case RUNNING -> "running";
        };
        progress(
                cluster,
                restoreId,
                "restore",
                end.status().asProgress(),
                (result.replayed() ? "already " + end.status() + ": " : "") + detail);
        if (end.status() != OperationRecord.Status.RUNNING && end.status() != OperationRecord.Status.HANDED_OVER) {
            // whichever way it ended, the staged copy goes: a resume stages again; a hand-over's host still
            // needs it, until its URL expires (StagedCopySweeper)
            try {
                staging.discard(cluster, restoreId);
            } catch (RuntimeException e) {
                LOG.warn("staged copy of restore {} not removed yet (the sweep will): {}", restoreId, e.getMessage());
            }
        }
        if (!result.replayed()) {
            meters.counter(
                            "guardian.restores",
                            "cluster",
                            cluster.id(),
                            "result",
                            end.status().name().toLowerCase(java.util.Locale.ROOT))
                    .increment();
        }
    }

    /** One restore per cluster: a stopped one must be resumed (or superseded) before another starts. */
    private void refuseIfAnotherIsOpen(ClusterSpec cluster, String restoreId, boolean supersede) {
        for (OperationRecord other : journal.ofCluster(cluster.id(), OperationKind.RESTORE)) {
            boolean running = other.status() == Status.RUNNING;
            if (other.isPrefixRestore()) {
                continue; // a prefix restore is never resumed; its lease alone keeps it apart from this one
            }
            if (!other.operationId().equals(restoreId) && other.isOpen() && (!supersede || running)) {
                throw new GuardianException(
                        Reason.BUSY,
                        "restore " + other.operationId() + " of " + cluster.id()
                                + " is " + other.status()
                                + (other.stoppedAt() == null ? "" : " at " + other.stoppedAt())
                                + ": resume it (--resume " + other.operationId() + ")"
                                + (running ? "" : " or start another with --supersede-stopped-restore"));
            }
        }
    }

    /**
     * A restore refused before it ran: journaled (when it is not a dry run), so a redelivered request
     * says the same again; one that had started ends FAILED, resumable.
     */
    private void refuse(
            ClusterSpec cluster, String restoreId, String snapshotId, RuntimeException e, boolean journaled) {
        GuardianException why = e instanceof GuardianException g
                ? g
                : new GuardianException(GuardianException.reasonOf(e), String.valueOf(e.getMessage()), e);
        LOG.warn("restore {} of {} refused: {}: {}", restoreId, cluster.id(), why.reason(), why.getMessage());
        progress(cluster, restoreId, "preconditions", ProgressStatus.FAILED, why.reason() + ": " + why.getMessage());
        if (journaled) {
            try {
                report(cluster, operations.refuse(cluster, OperationKind.RESTORE, restoreId, snapshotId, why));
                return;
            } catch (RuntimeException journalDown) {
                LOG.error("cannot journal the refusal of restore {}: {}", restoreId, journalDown.toString());
            }
        }
        progress(
                cluster,
                restoreId,
                "restore",
                ProgressStatus.REFUSED,
                "refused before anything was touched: " + why.reason() + ": " + why.getMessage());
    }

    private static List<String> split(String joined) {
        return joined == null || joined.isBlank() ? List.of() : List.of(joined.split(","));
    }

    private void progress(ClusterSpec cluster, String restoreId, String step, ProgressStatus status, String detail) {
        progress(cluster, restoreId, step, status, detail, null, null, null, null);
    }

    /** A step placed in the plan ({@code index} of {@code count}); {@code bytes} of {@code total}: the snapshot fetched so far. */
    private void progress(
            ClusterSpec cluster,
            String restoreId,
            String step,
            ProgressStatus status,
            String detail,
            Integer index,
            Integer count,
            Long bytes,
            Long total) {
        try {
            events.publish(new RestoreProgress(
                    cluster.id(), restoreId, step, status, detail, Instant.now(), index, count, bytes, total));
        } catch (RuntimeException e) {
            LOG.warn("could not publish progress of restore {}: {}", restoreId, e.toString());
        }
    }
}
