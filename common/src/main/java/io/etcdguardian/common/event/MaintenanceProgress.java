package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * One step of a maintenance operation (compact, move-leader, defrag of a member, disarm) or its end:
 * {@code status} STARTED, DONE, FAILED or COMPLETED (the whole operation), with the member's database
 * size before and after where it applies.
 */
public record MaintenanceProgress(String clusterId, String operationId, String step, String status, String member,
                                  String detail, Long dbSizeBefore, Long dbSizeAfter, Instant at)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.maintenance.progress.v1";

    public MaintenanceProgress {
        Require.text(clusterId, "clusterId");
        Require.text(operationId, "operationId");
        Require.text(step, "step");
        Require.text(status, "status");
    }
}
