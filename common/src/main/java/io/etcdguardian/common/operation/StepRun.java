package io.etcdguardian.common.operation;

import java.util.List;
import java.util.Optional;

/**
 * One operation as its steps see it: the journaled record, the lease, and the plan's steps. A step
 * runs once: done steps are skipped when the operation is resumed (a redelivered request after a
 * crash); before its action the lease is checked (the fencing token), after it the step is
 * journaled as done. A step that is about to change something records what it needs to undo or
 * finish it first ({@link #remember}), so a resumed step uses the value seen before the change.
 * Restores keep the same shape in their own journal (they also carry plan digests and facts per
 * target); snapshots, drills, retention and maintenance use this one.
 */
public final class StepRun {
    private final OperationJournal journal;
    private final HeldLease lease;
    private volatile OperationRecord record;

    StepRun(OperationJournal journal, OperationRecord record, HeldLease lease) {
        this.journal = journal;
        this.record = record;
        this.lease = lease;
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
        lease.verify();
        action.run();
        // a replica replaced while it acted must not journal over its successor's record
        lease.verify();
        record = journal.record(record.withDone(step));
        return true;
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
