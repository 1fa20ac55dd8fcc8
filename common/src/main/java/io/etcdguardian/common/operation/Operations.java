package io.etcdguardian.common.operation;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Ids;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.operation.OperationRecord.Status;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way every operation runs (DESIGN §2, the operation model): its id is validated; an id
 * that already ended repeats its outcome and does nothing; a paused cluster refuses; the
 * per-cluster lease of its kind is taken (and the kinds it excludes checked); the plan is journaled
 * before the first change; the work runs with the lease for its fencing checks; the one final
 * outcome is journaled and returned for the caller to publish. A failure inside the work ends the
 * operation FAILED — it is never thrown back to the intake to be retried whole.
 */
@Singleton
public class Operations {
    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);

    private final OperationLeases leases;
    private final OperationJournal journal;

    public Operations(OperationLeases leases, OperationJournal journal) {
        this.leases = leases;
        this.journal = journal;
    }

    /**
     * The operation's body: does the work under the lease — as a plan of named steps with
     * {@link StepRun#step}, journaled — and returns what it did in a line.
     */
    @FunctionalInterface
    public interface Work {
        String run(StepRun run) throws Exception;
    }

    /**
     * What to run: {@code facts} are journaled with the plan of a new operation (what it was approved
     * with); {@code reopen} lets an operator's request resume an operation that ended FAILED.
     */
    public record Start(
            ClusterSpec cluster,
            OperationKind kind,
            String operationId,
            String subject,
            List<String> plan,
            Map<String, String> facts,
            boolean reopen) {
        public Start {
            facts = facts == null ? Map.of() : facts;
        }
    }

    /**
     * How the operation ended; {@code replayed} when it had ended before (the caller republishes the
     * same outcome), {@code abandoned} when this replica lost the lease (it publishes nothing).
     */
    public record Result(OperationRecord record, boolean replayed, boolean abandoned) {
        public Status status() {
            return record.status();
        }
    }

    public Result run(
            ClusterSpec cluster, OperationKind kind, String operationId, String subject, List<String> plan, Work work) {
        return run(new Start(cluster, kind, operationId, subject, plan, Map.of(), false), work);
    }

    public Result run(Start start, Work work) {
        ClusterSpec cluster = start.cluster();
        OperationKind kind = start.kind();
        String operationId = Ids.id(start.operationId(), "operation id");
        Optional<OperationRecord> known = journal.find(operationId);
        if (known.isPresent() && known.get().endedFor(start.reopen())) {
            LOG.info(
                    "{} {} of {} ended {} before; repeating its outcome",
                    kind.key(),
                    operationId,
                    cluster.id(),
                    known.get().status());
            return new Result(known.get(), true, false);
        }
        StepRun.Start how = known.isEmpty()
                ? StepRun.Start.NEW
                : known.get().resumable() ? StepRun.Start.REOPENED : StepRun.Start.RESUMED;
        String stoppedAt = known.map(OperationRecord::stoppedAt).orElse(null);
        OperationRecord running = known.map(r -> r.resumable() ? r.reopened() : r)
                .orElseGet(() -> OperationRecord.running(
                        operationId, cluster.id(), kind, start.subject(), start.plan(), start.facts()));
        if (cluster.isPaused()) {
            return stopBefore(
                    running,
                    how,
                    new GuardianException(
                            Reason.PAUSED, "cluster " + cluster.id() + " is paused (fleet 'paused: true')"));
        }
        HeldLease lease;
        try {
            lease = leases.acquire(cluster, kind, operationId, start.subject());
        } catch (GuardianException e) {
            // held elsewhere, or the store (which holds the lease) cannot be reached
            return stopBefore(running, how, e);
        }
        StepRun run;
        try {
            run = new StepRun(journal, journal.record(running), lease, how, stoppedAt);
        } catch (RuntimeException e) {
            lease.close();
            // without its journal an operation must not start: it could not say where it stopped
            return new Result(
                    running.ended(
                            Status.REFUSED,
                            null,
                            GuardianException.reasonOf(e).name(),
                            "cannot journal the plan, nothing was touched: " + e.getMessage()),
                    false,
                    false);
        }
        try (lease) {
            String detail = work.run(run);
            return run.handedOverAt()
                    .map(step -> end(run.record(), Status.HANDED_OVER, step, null, detail))
                    .orElseGet(() -> end(run.record(), Status.COMPLETED, null, null, detail));
        } catch (LeaseLostException e) {
            LOG.warn("{} {} of {} abandoned here: {}", kind.key(), operationId, cluster.id(), e.getMessage());
            return new Result(run.record(), false, true);
        } catch (Exception e) {
            Reason reason = GuardianException.reasonOf(e);
            LOG.error(
                    "{} {} of {} failed{}: {}: {}",
                    kind.key(),
                    operationId,
                    cluster.id(),
                    run.current().map(s -> " at " + s).orElse(""),
                    reason,
                    e.getMessage(),
                    reason == Reason.INTERNAL ? e : null);
            // the failure's own word on retrying (a full spool is retriable, most preconditions are not)
            return end(
                    run.record()
                            .withFact(OperationRecord.RETRIABLE, Boolean.toString(GuardianException.isRetriable(e))),
                    Status.FAILED,
                    run.current().orElse(null),
                    reason,
                    e.getMessage());
        }
    }

    /**
     * Ends an operation that is refused before it runs (its request is invalid, its plan is not the
     * one approved): REFUSED when it never started; an operation that had started (its service died,
     * or an operator resumes it) ends FAILED instead, since steps of it were done.
     */
    public Result refuse(
            ClusterSpec cluster, OperationKind kind, String operationId, String subject, GuardianException why) {
        Optional<OperationRecord> known = journal.find(operationId);
        if (known.isPresent() && known.get().isFinal() && !known.get().resumable()) {
            return new Result(known.get(), true, false);
        }
        StepRun.Start how = known.isEmpty() ? StepRun.Start.NEW : StepRun.Start.RESUMED;
        return stopBefore(
                known.orElseGet(
                        () -> OperationRecord.running(operationId, cluster.id(), kind, subject, List.of(), Map.of())),
                how,
                why);
    }

    private Result stopBefore(OperationRecord running, StepRun.Start how, GuardianException why) {
        if (how == StepRun.Start.NEW) {
            return end(running, Status.REFUSED, null, why.reason(), why.getMessage() + "; nothing was touched");
        }
        // it had started: saying REFUSED ("nothing was touched") would hide the steps done before
        return end(
                running,
                Status.FAILED,
                running.stoppedAt(),
                why.reason(),
                why.getMessage()
                        + " (stopped before resuming; nothing more was touched; done before: "
                        + (running.done().isEmpty() ? "nothing" : String.join(", ", running.done())) + ")");
    }

    private Result end(OperationRecord running, Status status, String at, Reason reason, String detail) {
        OperationRecord ended = running.ended(status, at, reason == null ? null : reason.name(), detail);
        try {
            journal.record(ended);
        } catch (RuntimeException e) {
            // the outcome is still published; a redelivery would find RUNNING and resume, which steps allow
            LOG.error("cannot journal the end of {} {}: {}", running.kind().key(), running.operationId(), e.toString());
        }
        return new Result(ended, false, false);
    }
}
