package io.etcdguardian.restore;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.operation.HeldLease;
import io.etcdguardian.common.operation.LeaseLostException;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationLeases;
import io.etcdguardian.common.operation.SnapshotFirst;
import io.etcdguardian.common.event.Trigger;
import java.time.Duration;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.restore.check.Preconditions;
import io.etcdguardian.restore.plan.PlanDigest;
import io.etcdguardian.restore.plan.RestoreJournal;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreState;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.procedure.RestoreTargets;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore from request to end: choose the snapshot (an id, latest-verified by default), check the
 * preconditions, plan the target's steps and publish the plan (a dry run stops there), then run the
 * steps in order, journaling each before moving on. A redelivered request or a resume finds the
 * journal and goes on at the first step not done. A failed step stops the restore where it is — the
 * cluster is left as the failed step left it (never unpaused silently) — and says how to resume.
 */
@Singleton
public class RestoreWorkflow {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreWorkflow.class);
    static final String PLAN_DIGEST = "plan.digest";

    private final SnapshotCatalog catalog;
    private final Preconditions preconditions;
    private final RestoreTargets targets;
    private final RestoreJournal journal;
    private final EventPublisher events;
    private final MeterRegistry meters;
    private final OperationLeases leases;
    private final SnapshotFirst snapshotFirst;
    private final RestoreSettings settings;

    public RestoreWorkflow(SnapshotCatalog catalog, Preconditions preconditions, RestoreTargets targets,
                           RestoreJournal journal, EventPublisher events, MeterRegistry meters, OperationLeases leases,
                           SnapshotFirst snapshotFirst, RestoreSettings settings) {
        this.leases = leases;
        this.snapshotFirst = snapshotFirst;
        this.settings = settings;
        this.catalog = catalog;
        this.preconditions = preconditions;
        this.targets = targets;
        this.journal = journal;
        this.events = events;
        this.meters = meters;
    }

    /** Runs (or resumes, or plans) a restore; returns its final state. Failures are reported, not thrown. */
    public RestoreState handle(ClusterSpec cluster, String requestId, RestoreRequested request) {
        String restoreId = request.resumeRestoreId() != null ? request.resumeRestoreId() : requestId;
        Optional<RestoreState> known = journal.find(restoreId);
        if (request.resumeRestoreId() != null && known.isEmpty()) {
            return refuse(cluster, restoreId, new GuardianException(Reason.NOT_FOUND, "no restore "
                    + request.resumeRestoreId() + " to resume"));
        }
        if (known.isPresent() && known.get().finished()) {
            progress(cluster, restoreId, "restore", known.get().status(), "already " + known.get().status());
            return known.get();
        }
        if (known.isPresent() && RestoreState.FAILED.equals(known.get().status()) && request.resumeRestoreId() == null) {
            // one request, one outcome: a redelivered request that ended FAILED says so again; resuming is an
            // operator's decision (--resume), a new operation that continues the journal
            RestoreState failed = known.get();
            progress(cluster, restoreId, "restore", "FAILED", "already FAILED at " + failed.failedStep() + " ("
                    + failed.failure() + "); resume on purpose: guardianctl restore " + cluster.id() + " --resume "
                    + restoreId);
            return failed;
        }
        RestoreRun run;
        List<RestoreStep> steps;
        RestoreTarget target;
        HeldLease lease = null;
        try {
            if (request.force()) {
                throw new GuardianException(Reason.INVALID_REQUEST, "'force' is no longer accepted: name what to accept"
                        + " instead (" + String.join(", ", new java.util.TreeSet<>(RestoreRequested.OVERRIDES))
                        + "); nothing overrides the target check or the one-restore-per-cluster lease");
            }
            if (cluster.isPaused()) {
                throw new GuardianException(Reason.PAUSED, "cluster " + cluster.id() + " is paused (fleet 'paused: true')");
            }
            List<String> overrides = known.map(RestoreState::overrides).orElse(request.overrides());
            if (known.isEmpty() && !request.dryRun()) {
                refuseIfAnotherIsOpen(cluster, restoreId, overrides.contains(RestoreRequested.SUPERSEDE_STOPPED_RESTORE));
            }
            String snapshotId = known.map(RestoreState::snapshotId).orElse(request.snapshotId());
            SnapshotManifest manifest = catalog.require(cluster, snapshotId);
            target = targets.choose(cluster, known.map(RestoreState::target).orElse(request.target()));
            List<String> notes = new java.util.ArrayList<>(preconditions.check(cluster, manifest, target.kind(),
                    overrides.contains(RestoreRequested.ACCEPT_VERSION_MISMATCH)));
            overrides.forEach(o -> notes.add("override in force: " + o));
            RestoreState state = known.orElseGet(() -> RestoreState.start(restoreId, cluster.id(), target.kind(),
                    manifest.snapshotId(), overrides));
            run = new RestoreRun(cluster, manifest, state, journal, request.dryRun(), request.apiServerReplicas());
            steps = withBackupFirst(target.plan(run), restoreId);
            notes.addAll(run.notes());
            String digest = PlanDigest.of(manifest.snapshotId(), target.kind(), overrides, steps, restoreId, run.shortId());
            events.publish(EventEnvelope.deterministicId(restoreId + "/plan/" + state.done().size(), RestorePlanned.TYPE),
                    new RestorePlanned(cluster.id(), restoreId, manifest.snapshotId(), target.kind(), request.dryRun(),
                            steps.stream().map(s -> new RestorePlanned.Step(s.name(), s.description(), s.touches(),
                                    s.manual())).toList(), digest, notes));
            notes.forEach(note -> progress(cluster, restoreId, "preconditions", "DONE", note));
            if (request.dryRun()) {
                return state;
            }
            state = approved(restoreId, known, request, digest, state);
            // one restore per cluster across replicas, and no defrag or retention while it runs
            lease = leases.acquire(cluster, OperationKind.RESTORE, restoreId, manifest.snapshotId());
            if (known.isEmpty()) {
                run.update(state);
            } else if (request.resumeRestoreId() == null) {
                Optional<String> changed = changedWhileInterrupted(run, steps);
                if (changed.isPresent()) {
                    lease.close();
                    return stopChanged(cluster, run, steps, changed.get());
                }
                run.update(state.withStatus(RestoreState.RUNNING, null, null));
            } else {
                // resumed on purpose: what no longer holds is established again by its (idempotent) step first
                List<String> redo = steps.stream().filter(s -> run.state().done().contains(s.name())
                        && s.holds().changed(run).isPresent()).map(RestoreStep::name).toList();
                redo.forEach(name -> progress(cluster, restoreId, name, "REDO", "no longer holds; done again"));
                run.update(state.withoutDone(redo).withStatus(RestoreState.RUNNING, null, null));
            }
        } catch (RuntimeException e) {
            if (lease != null) {
                lease.close();
            }
            return refuse(cluster, restoreId, e);
        }
        try (HeldLease held = lease) {
            return execute(cluster, run, steps, target, held);
        } catch (LeaseLostException e) {
            // another replica took the restore over (a rebalance): it resumes from the journal and ends it
            LOG.warn("restore {} of {} continues elsewhere: {}", restoreId, cluster.id(), e.getMessage());
            return run.state();
        }
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
        RestoreStep backup = new RestoreStep("pre-restore-backup", "a snapshot of the cluster as it is now, before"
                + " anything is replaced; skipped with the reason when it cannot be taken",
                List.of("backup.requested.v1 PRE_RESTORE pre-restore/" + restoreId + ", waited for up to " + timeout),
                r -> {
                    try {
                        return "snapshot " + snapshotFirst.ensure(r.cluster(), Trigger.PRE_RESTORE, r.restoreId(),
                                r.state().startedAt(), timeout, "restore-service") + " taken";
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
     * approved with. The approved digest is journaled with the restore.
     */
    private static RestoreState approved(String restoreId, Optional<RestoreState> known, RestoreRequested request,
                                         String digest, RestoreState state) {
        if (known.isPresent()) {
            String approvedDigest = known.get().facts().get(PLAN_DIGEST);
            if (approvedDigest != null && !approvedDigest.equals(digest)) {
                throw new GuardianException(Reason.PRECONDITION_FAILED, "the plan of restore " + restoreId
                        + " is no longer the one approved (approved " + approvedDigest + ", now " + digest
                        + "): the cluster, the snapshot or the fleet changed; review it and start a new restore");
            }
            return state;
        }
        if (request.planDigest() == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "a restore applies the plan it was shown: ask for"
                    + " a dry run and send its planDigest with the request (guardianctl restore does both); this"
                    + " plan's digest is " + digest);
        }
        if (!request.planDigest().equals(digest)) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "the plan changed since it was shown (shown "
                    + request.planDigest() + ", now " + digest + "): review the new plan");
        }
        return state.withFact(PLAN_DIGEST, digest);
    }

    /** A restore resumed on its own re-checks what its done steps left before it acts again. */
    private static Optional<String> changedWhileInterrupted(RestoreRun run, List<RestoreStep> steps) {
        List<String> changes = new java.util.ArrayList<>();
        for (RestoreStep step : steps) {
            if (run.state().done().contains(step.name())) {
                step.holds().changed(run).ifPresent(c -> changes.add(step.name() + ": " + c));
            }
        }
        return changes.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", changes));
    }

    private RestoreState stopChanged(ClusterSpec cluster, RestoreRun run, List<RestoreStep> steps, String changed) {
        String why = "PRECONDITION_FAILED: changed while the restore was interrupted: " + changed;
        String next = steps.stream().map(RestoreStep::name).filter(s -> !run.state().done().contains(s)).findFirst()
                .orElse("restore");
        run.update(run.state().withStatus(RestoreState.FAILED, next, why));
        progress(cluster, run.restoreId(), "restore", "FAILED", why + ". Nothing was touched; check the cluster, then"
                + " resume on purpose: guardianctl restore " + cluster.id() + " --resume " + run.restoreId());
        meters.counter("guardian.restores", "cluster", cluster.id(), "result", "failed").increment();
        return run.state();
    }

    private RestoreState execute(ClusterSpec cluster, RestoreRun run, List<RestoreStep> steps, RestoreTarget target,
                                 HeldLease lease) {
        String restoreId = run.restoreId();
        LOG.info("restoring {} from {} ({}, restore {})", cluster.id(), run.manifest().snapshotId(), target.kind(), restoreId);
        for (RestoreStep step : steps) {
            if (run.state().done().contains(step.name())) {
                progress(cluster, restoreId, step.name(), "SKIPPED", "done before the restore was resumed");
                continue;
            }
            if (step.manual()) {
                String left = steps.stream().filter(s -> steps.indexOf(s) >= steps.indexOf(step))
                        .map(s -> s.name() + ": " + String.join(" && ", s.touches()))
                        .reduce((a, b) -> a + "\n" + b).orElse("");
                run.update(run.state().withStatus(RestoreState.HANDED_OVER, step.name(), null));
                progress(cluster, restoreId, "restore", "HANDED_OVER", "the rest runs on the host, in order:\n" + left);
                meters.counter("guardian.restores", "cluster", cluster.id(), "result", "handed_over").increment();
                return run.state();
            }
            lease.verify(); // the fencing check: a replaced replica stops before it touches anything
            progress(cluster, restoreId, step.name(), "STARTED", step.description());
            try {
                String detail = step.action().run(run);
                run.update(run.state().withDone(step.name()));
                progress(cluster, restoreId, step.name(), "DONE", detail);
            } catch (LeaseLostException e) {
                throw e;
            } catch (Exception e) {
                Reason reason = GuardianException.reasonOf(e);
                String why = reason + ": " + e.getMessage();
                LOG.error("restore {} of {} stopped at {}: {}", restoreId, cluster.id(), step.name(), why,
                        reason == Reason.INTERNAL ? e : null);
                try {
                    run.update(run.state().withStatus(RestoreState.FAILED, step.name(), why));
                } catch (RuntimeException journalDown) {
                    LOG.error("cannot journal the failure of restore {}: {}", restoreId, journalDown.toString());
                }
                progress(cluster, restoreId, step.name(), "FAILED", why);
                progress(cluster, restoreId, "restore", "FAILED", "stopped at " + step.name() + " (" + why + "); the"
                        + " cluster is left as that step left it. Fix the cause, then resume: guardianctl restore "
                        + cluster.id() + " --resume " + restoreId);
                meters.counter("guardian.restores", "cluster", cluster.id(), "result", "failed").increment();
                return run.state();
            }
        }
        run.update(run.state().withStatus(RestoreState.COMPLETED, null, null));
        progress(cluster, restoreId, "restore", "COMPLETED", "restored from " + run.manifest().snapshotId() + " (revision "
                + run.manifest().revision() + ")");
        meters.counter("guardian.restores", "cluster", cluster.id(), "result", "completed").increment();
        return run.state();
    }

    /** One restore per cluster: a stopped one must be resumed (or a new one forced) before another starts. */
    private void refuseIfAnotherIsOpen(ClusterSpec cluster, String restoreId, boolean supersede) {
        for (RestoreState other : journal.ofCluster(cluster.id())) {
            if (!other.restoreId().equals(restoreId) && !other.finished()
                    && (!supersede || RestoreState.RUNNING.equals(other.status()))) {
                throw new GuardianException(Reason.BUSY, "restore " + other.restoreId() + " of " + cluster.id() + " is "
                        + other.status() + (other.failedStep() == null ? "" : " at " + other.failedStep())
                        + ": resume it (--resume " + other.restoreId() + ")"
                        + (RestoreState.RUNNING.equals(other.status()) ? ""
                        : " or start another with --supersede-stopped-restore"));
            }
        }
    }

    private RestoreState refuse(ClusterSpec cluster, String restoreId, RuntimeException e) {
        Reason reason = GuardianException.reasonOf(e);
        LOG.warn("restore {} of {} refused: {}: {}", restoreId, cluster.id(), reason, e.getMessage());
        progress(cluster, restoreId, "preconditions", "FAILED", reason + ": " + e.getMessage());
        progress(cluster, restoreId, "restore", "FAILED", "refused before anything was touched: " + reason + ": "
                + e.getMessage());
        return RestoreState.start(restoreId, cluster.id(), null, null, List.of())
                .withStatus(RestoreState.FAILED, "preconditions", reason + ": " + e.getMessage());
    }

    private void progress(ClusterSpec cluster, String restoreId, String step, String status, String detail) {
        try {
            events.publish(new RestoreProgress(cluster.id(), restoreId, step, status, detail, Instant.now()));
        } catch (RuntimeException e) {
            LOG.warn("could not publish progress of restore {}: {}", restoreId, e.toString());
        }
    }
}
