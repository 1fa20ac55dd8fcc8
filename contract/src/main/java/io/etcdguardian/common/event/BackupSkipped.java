package io.etcdguardian.common.event;

import java.time.Instant;

/** A backup that the scheduler decided not to request, and why (a guard from the seeds, a blackout, …). */
public record BackupSkipped(String clusterId, Trigger trigger, Reason reason, String detail, Instant slot)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.backup.skipped.v1";

    public BackupSkipped {
        Require.text(clusterId, "clusterId");
        Require.present(reason, "reason");
    }
}
