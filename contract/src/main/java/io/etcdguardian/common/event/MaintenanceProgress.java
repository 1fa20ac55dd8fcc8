package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * One step of a maintenance operation (compact, move-leader, defrag of a member, disarm) — {@code
 * status} STARTED, DONE or FAILED — or, with step {@code maintenance}, its one final outcome:
 * COMPLETED, FAILED, REFUSED (nothing touched) or SKIPPED (answered by an earlier run). Database
 * sizes before and after where they apply; {@code stepIndex} of {@code stepCount} (1-based) place a
 * step in the journaled plan (compact, each member, move-leader, disarm).
 */
public record MaintenanceProgress(
        String clusterId,
        String operationId,
        String step,
        ProgressStatus status,
        String member,
        String detail,
        Long dbSizeBefore,
        Long dbSizeAfter,
        Instant at,
        Integer stepIndex,
        Integer stepCount)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.maintenance.progress.v1";

    public MaintenanceProgress {
        Require.text(clusterId, "clusterId");
        Require.text(operationId, "operationId");
        Require.text(step, "step");
        Require.present(status, "status");
    }
}
