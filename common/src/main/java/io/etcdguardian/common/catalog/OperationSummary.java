package io.etcdguardian.common.catalog;

import java.time.Instant;

/**
 * The last operation of one kind on a cluster, as the fleet catalogue keeps it: running, or how it
 * ended. One per cluster and kind, because a cluster's lease admits one of each kind at a time.
 */
public record OperationSummary(
        String operationId,
        String kind,
        String status,
        Instant startedAt,
        Instant at,
        int stepsDone,
        int steps,
        String stoppedAt,
        String reason) {
    public boolean running() {
        return "RUNNING".equals(status);
    }
}
