package io.etcdguardian.common.operation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.List;

/**
 * An operation as journaled: RUNNING with its plan before the first change — then the steps done
 * and the facts recorded before each change, so a resumed operation goes on where it was — and
 * once and for all COMPLETED, FAILED (where and why) or REFUSED (nothing was touched). Never holds a
 * secret.
 */
public record OperationRecord(String operationId, String clusterId, OperationKind kind, Status status,
                              List<String> plan, List<String> done, java.util.Map<String, String> facts,
                              String reason, String detail, Instant startedAt, Instant at) {

    /** RUNNING until it ends; the three others are final. */
    public enum Status { RUNNING, COMPLETED, FAILED, REFUSED }

    public OperationRecord {
        plan = plan == null ? List.of() : List.copyOf(plan);
        done = done == null ? List.of() : List.copyOf(done);
        facts = facts == null ? java.util.Map.of() : java.util.Map.copyOf(facts);
    }

    static OperationRecord running(String operationId, String clusterId, OperationKind kind, List<String> plan) {
        Instant now = Instant.now();
        return new OperationRecord(operationId, clusterId, kind, Status.RUNNING, plan, List.of(), java.util.Map.of(),
                null, null, now, now);
    }

    OperationRecord withDone(String step) {
        List<String> steps = new java.util.ArrayList<>(done);
        if (!steps.contains(step)) {
            steps.add(step);
        }
        return new OperationRecord(operationId, clusterId, kind, status, plan, steps, facts, reason, detail, startedAt,
                Instant.now());
    }

    OperationRecord withFact(String key, String value) {
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>(facts);
        all.put(key, value);
        return new OperationRecord(operationId, clusterId, kind, status, plan, done, all, reason, detail, startedAt,
                Instant.now());
    }

    OperationRecord withPlan(List<String> steps) {
        return new OperationRecord(operationId, clusterId, kind, status, steps, done, facts, reason, detail, startedAt,
                Instant.now());
    }

    @JsonIgnore
    public boolean isFinal() {
        return status != Status.RUNNING;
    }

    OperationRecord ended(Status end, String why, String what) {
        return new OperationRecord(operationId, clusterId, kind, end, plan, done, facts, why, what, startedAt,
                Instant.now());
    }
}
