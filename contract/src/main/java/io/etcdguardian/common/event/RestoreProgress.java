package io.etcdguardian.common.event;

import java.time.Instant;

/**
 * One step of a restore (STARTED, DONE, SKIPPED when a resumed restore finds it done, FAILED) or
 * the restore as a whole (step {@code restore}: COMPLETED, FAILED, or HANDED_OVER when what is left
 * are manual steps). A FAILED restore stays where it stopped; {@code detail} says how to resume.
 * {@code stepIndex} of {@code stepCount} (1-based) place a step in the plan; a long step reports
 * RUNNING at a bounded rate with {@code bytesDone} of {@code bytesTotal} (the snapshot being fetched).
 */
public record RestoreProgress(
        String clusterId,
        String restoreId,
        String step,
        ProgressStatus status,
        String detail,
        Instant at,
        Integer stepIndex,
        Integer stepCount,
        Long bytesDone,
        Long bytesTotal)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.restore.progress.v1";

    public RestoreProgress {
        Require.text(clusterId, "clusterId");
        Require.text(restoreId, "restoreId");
        Require.text(step, "step");
        Require.present(status, "status");
    }

    /** A step or outcome that is not placed in the plan and moves no bytes. */
    public RestoreProgress(
            String clusterId, String restoreId, String step, ProgressStatus status, String detail, Instant at) {
        this(clusterId, restoreId, step, status, detail, at, null, null, null, null);
    }
}
