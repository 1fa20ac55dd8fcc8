package io.etcdguardian.common.operation;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.Ids;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.operation.OperationRecord.Status;
import jakarta.inject.Singleton;
import java.util.List;
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
     * How the operation ended; {@code replayed} when it had ended before (the caller republishes the
     * same outcome), {@code abandoned} when this replica lost the lease (it publishes nothing).
     */
    public record Result(OperationRecord record, boolean replayed, boolean abandoned) {
        public Status status() {
            return record.status();
        }
    }

    public Result run(ClusterSpec cluster, OperationKind kind, String operationId, String subject, List<String> plan,
                      Work work) {
        Ids.id(operationId, "operation id");
        Optional<OperationRecord> known = journal.find(operationId);
        if (known.isPresent() && known.get().isFinal()) {
            LOG.info("{} {} of {} ended {} before; repeating its outcome", kind.key(), operationId, cluster.id(),
                    known.get().status());
            return new Result(known.get(), true, false);
        }
        OperationRecord running = known.orElseGet(() -> OperationRecord.running(operationId, cluster.id(), kind, plan));
        if (cluster.isPaused()) {
            return end(running, Status.REFUSED, Reason.PAUSED, "cluster " + cluster.id()
                    + " is paused (fleet 'paused: true'): nothing was touched");
        }
        HeldLease lease;
        try {
            lease = leases.acquire(cluster, kind, operationId, subject);
        } catch (GuardianException e) {
            // held elsewhere, or the store (which holds the lease) cannot be reached: refused, untouched
            return end(running, Status.REFUSED, e.reason(), e.getMessage() + " (refused before anything was touched)");
        }
        StepRun run = new StepRun(journal, journal.record(running), lease);
        try (lease) {
            String detail = work.run(run);
            return end(run.record(), Status.COMPLETED, null, detail);
        } catch (LeaseLostException e) {
            LOG.warn("{} {} of {} abandoned here: {}", kind.key(), operationId, cluster.id(), e.getMessage());
            return new Result(run.record(), false, true);
        } catch (Exception e) {
            Reason reason = GuardianException.reasonOf(e);
            LOG.error("{} {} of {} failed: {}: {}", kind.key(), operationId, cluster.id(), reason, e.getMessage(),
                    reason == Reason.INTERNAL ? e : null);
            return end(run.record(), Status.FAILED, reason, e.getMessage());
        }
    }

    private Result end(OperationRecord running, Status status, Reason reason, String detail) {
        OperationRecord ended = running.ended(status, reason == null ? null : reason.name(), detail);
        try {
            journal.record(ended);
        } catch (RuntimeException e) {
            // the outcome is still published; a redelivery would find RUNNING and resume, which steps allow
            LOG.error("cannot journal the end of {} {}: {}", running.kind().key(), running.operationId(), e.toString());
        }
        return new Result(ended, false, false);
    }
}
