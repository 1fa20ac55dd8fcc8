package io.etcdguardian.common.operation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An operation as journaled: RUNNING with its plan before the first change — then the steps done
 * and the facts recorded before each change, so a resumed operation goes on where it was — and
 * once and for all COMPLETED, FAILED (at which step and why), REFUSED (nothing was touched) or
 * HANDED_OVER (the rest is an operator's, on a host). {@code subject} is what the operation acts
 * on or reads (a restore's snapshot). Never holds a secret.
 */
public record OperationRecord(
        String operationId,
        String clusterId,
        OperationKind kind,
        Status status,
        String subject,
        List<String> plan,
        List<String> done,
        Map<String, String> facts,
        String stoppedAt,
        String reason,
        String detail,
        Instant startedAt,
        Instant at) {

    /** The fact a failure records: whether trying the request again may pass. */
    public static final String RETRIABLE = "retriable";

    /**
     * The fact of a prefix restore (a RESTORE operation, for its lease, that writes one key prefix back and
     * restores no snapshot): the prefix. Nothing resumes one — it is run again and compares afresh — so a
     * whole-cluster restore does not wait on it, and its subject names no snapshot.
     */
    public static final String PREFIX = "prefix";

    /**
     * RUNNING until it ends. FAILED is final for the request that ran it; only an operator's resume
     * (a new request naming this operation) reopens it, which restores allow.
     */
    public enum Status {
        RUNNING,
        COMPLETED,
        FAILED,
        REFUSED,
        HANDED_OVER;

        /** How an operation that ended so reports its outcome in a progress event. */
        public ProgressStatus asProgress() {
            return ProgressStatus.valueOf(name());
        }
    }

    public OperationRecord {
        plan = plan == null ? List.of() : List.copyOf(plan);
        done = done == null ? List.of() : List.copyOf(done);
        // in the order they were recorded: an operator reads them as a story
        facts = facts == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts));
    }

    static OperationRecord running(
            String operationId,
            String clusterId,
            OperationKind kind,
            String subject,
            List<String> plan,
            Map<String, String> facts) {
        Instant now = Instant.now();
        return new OperationRecord(
                operationId,
                clusterId,
                kind,
                Status.RUNNING,
                subject,
                plan,
                List.of(),
                facts,
                null,
                null,
                null,
                now,
                now);
    }

    OperationRecord withDone(String step) {
        List<String> steps = new ArrayList<>(done);
        if (!steps.contains(step)) {
            steps.add(step);
        }
        return new OperationRecord(
                operationId,
                clusterId,
                kind,
                status,
                subject,
                plan,
                steps,
                facts,
                stoppedAt,
                reason,
                detail,
                startedAt,
                Instant.now());
    }

    /** Marks done steps to run again: an operator resumed an operation whose done steps no longer hold. */
    OperationRecord withoutDone(List<String> steps) {
        List<String> left = new ArrayList<>(done);
        left.removeAll(steps);
        return new OperationRecord(
                operationId,
                clusterId,
                kind,
                status,
                subject,
                plan,
                left,
                facts,
                stoppedAt,
                reason,
                detail,
                startedAt,
                Instant.now());
    }

    OperationRecord withFact(String key, String value) {
        Map<String, String> all = new LinkedHashMap<>(facts);
        all.put(key, value);
        return new OperationRecord(
                operationId,
                clusterId,
                kind,
                status,
                subject,
                plan,
                done,
                all,
                stoppedAt,
                reason,
                detail,
                startedAt,
                Instant.now());
    }

    OperationRecord withPlan(List<String> steps) {
        return new OperationRecord(
                operationId,
                clusterId,
                kind,
                status,
                subject,
                steps,
                done,
                facts,
                stoppedAt,
                reason,
                detail,
                startedAt,
                Instant.now());
    }

    /** RUNNING again, where it stopped: an operator's resume of a FAILED or HANDED_OVER operation. */
    OperationRecord reopened() {
        return new OperationRecord(
                operationId,
                clusterId,
                kind,
                Status.RUNNING,
                subject,
                plan,
                done,
                facts,
                null,
                null,
                null,
                startedAt,
                Instant.now());
    }

    /** A prefix restore ({@link #PREFIX}): never resumed, and no whole-cluster restore waits on it. */
    @JsonIgnore
    public boolean isPrefixRestore() {
        return kind == OperationKind.RESTORE && facts.containsKey(PREFIX);
    }

    @JsonIgnore
    public boolean isFinal() {
        return status != Status.RUNNING;
    }

    /**
     * Ended as far as this request goes: a redelivery repeats the outcome. An operator's resume
     * ({@code reopen}) of a FAILED operation, or of one HANDED_OVER once the host steps are done,
     * is the exception.
     */
    @JsonIgnore
    public boolean endedFor(boolean reopen) {
        return isFinal() && !(reopen && resumable());
    }

    /** FAILED or HANDED_OVER: an operator may go on with it on purpose. */
    @JsonIgnore
    public boolean resumable() {
        return status == Status.FAILED || status == Status.HANDED_OVER;
    }

    /** Started and not ended for good: running, or FAILED and resumable. */
    @JsonIgnore
    public boolean isOpen() {
        return status == Status.RUNNING || status == Status.FAILED;
    }

    /** Whether the failure may pass if the request is tried again: as it said, else its reason's default. */
    @JsonIgnore
    public boolean retriable() {
        String said = facts.get(RETRIABLE);
        return said != null
                ? Boolean.parseBoolean(said)
                : reason != null && Reason.valueOf(reason).retriableByDefault();
    }

    public OperationRecord ended(Status end, String at, String why, String what) {
        return new OperationRecord(
                operationId, clusterId, kind, end, subject, plan, done, facts, at, why, what, startedAt, Instant.now());
    }
}
