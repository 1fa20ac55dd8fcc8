package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * One step of a restore (STARTED, DONE, SKIPPED when a resumed restore finds it done, FAILED) or
 * the restore as a whole (step {@code restore}: COMPLETED, FAILED, or HANDED_OVER when what is left
 * are manual steps). A FAILED restore stays where it stopped; {@code detail} says how to resume.
 */
public record RestoreProgress(String clusterId, String restoreId, String step, String status, String detail,
                              Instant at) implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.restore.progress.v1";

    public RestoreProgress {
        Require.text(clusterId, "clusterId");
        Require.text(restoreId, "restoreId");
        Require.text(step, "step");
        Require.text(status, "status");
    }
}
