package io.etcdguardian.common.operation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.List;

/**
 * An operation as journaled: RUNNING with its plan before the first change, then once and for all
 * COMPLETED, FAILED (where and why) or REFUSED (nothing was touched). Never holds a secret.
 */
public record OperationRecord(String operationId, String clusterId, OperationKind kind, Status status,
                              List<String> plan, String reason, String detail, Instant startedAt, Instant at) {

    /** RUNNING until it ends; the three others are final. */
    public enum Status { RUNNING, COMPLETED, FAILED, REFUSED }

    @JsonIgnore
    public boolean isFinal() {
        return status != Status.RUNNING;
    }

    OperationRecord ended(Status end, String why, String what) {
        return new OperationRecord(operationId, clusterId, kind, end, plan, why, what, startedAt, Instant.now());
    }
}
