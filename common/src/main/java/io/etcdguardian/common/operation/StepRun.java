package io.etcdguardian.common.operation;

import java.util.List;
import java.util.Optional;

/**
 * One operation as its steps see it: the journaled record, the lease, and the plan's steps. A step
 * runs once: done steps are skipped when the operation is resumed (a redelivered request after a
 * crash, or an operator's resume); before its action the lease is checked (the fencing token),
 * after it the step is journaled as done. A step that is about to change something records what it
 * needs to undo or finish it first ({@link #remember}), so a resumed step uses the value seen
 * before the change.
 */
public final class StepRun {
    /** How this run of the operation began. */
    public enum Start {
        /** a new operation */
        NEW,
        /** found RUNNING: its service died mid-way and the request was delivered again */
        RESUMED,
        /** found FAILED, or HANDED_OVER with the host steps done, and resumed on purpose by an operator */
        REOPENED
    }

    private final OperationJournal journal;
    private final HeldLease lease;
    private final Start start;
    private volatile OperationRecord record;
    private volatile String current;
    private volatile String handedOverAt;
    private final String stoppedBefore;

    StepRun(OperationJournal journal, OperationRecord record, HeldLease lease, Start start, String stoppedBefore) {
        this.stoppedBefore = stoppedBefore;
        this.journal = journal;
        this.record = record;
        this.lease = lease;
        this.start = start;
    }

    /** A named step of the plan. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    public HeldLease lease() {
        return lease;
    }

    public OperationRecord record() {
        return record;
    }

    public Start start() {
        return start;
    }

    /** The step a reopened operation had stopped at (failed, or handed over to an operator), if any. */
    public Optional<String> stoppedBefore() {
        return start == Start.REOPENED ? Optional.ofNullable(stoppedBefore) : Optional.empty();
    }

    /** Records the whole plan (step names) before the first step, so the journal shows what is left. */
    public void plan(List<String> steps) {
        record = journal.record(record.withPlan(steps));
    }

    public boolean done(String step) {
        return record.done().contains(step);
    }

    /** Runs {@code step} unless it was done before; returns false when it was skipped. */
    public boolean step(String step, Action action) throws Exception {
        if (done(step)) {
            return false;
        }
        current = step; // a lease that cannot be checked stops the operation here, nothing of the step done
        lease.verify();
        action.run();
        // a replica replaced while it acted must not journal over its successor's record
        lease.verify();
        record = journal.record(record.withDone(step));
        current = null;
        return true;
    }

    /** The step that was acting when the operation stopped, if one was. */
    Optional<String> current() {
        return Optional.ofNullable(current);
    }

    /** Marks done steps to run again, journaled: what they established no longer holds. */
    public void redo(List<String> steps) {
        if (!steps.isEmpty()) {
            record = journal.record(record.withoutDone(steps));
        }
    }

    /** Ends the operation HANDED_OVER at {@code step} once the work returns: the rest is an operator's. */
    public void handOver(String step) {
        handedOverAt = step;
    }

    Optional<String> handedOverAt() {
        return Optional.ofNullable(handedOverAt);
    }

    public Optional<String> fact(String key) {
        return Optional.ofNullable(record.facts().get(key));
    }

    /** Records {@code value} unless a fact of that name exists already; returns the recorded one. */
    public String remember(String key, String value) {
        Optional<String> known = fact(key);
        if (known.isPresent()) {
            return known.get();
        }
        record = journal.record(record.withFact(key, value));
        return value;
    }
}
