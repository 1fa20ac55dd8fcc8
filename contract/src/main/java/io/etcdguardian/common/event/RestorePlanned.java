package io.etcdguardian.common.event;

import java.util.List;

/**
 * The plan of a restore before anything is touched (the whole answer of a dry run): the snapshot
 * chosen, the target procedure, and every step with the exact objects and commands it touches.
 * Presigned URLs and keys never appear: they are named, not shown. {@code planDigest} is what a
 * request must carry to apply exactly this plan; {@code notes} are what the operator must know
 * (overrides in force, a control plane found degraded, a pre-restore backup skipped);
 * {@code snapshotBytes} the snapshot's raw size (what a restore fetches and etcd restores).
 */
public record RestorePlanned(
        String clusterId,
        String restoreId,
        String snapshotId,
        String target,
        boolean dryRun,
        List<Step> steps,
        String planDigest,
        List<String> notes,
        Long snapshotBytes)
        implements GuardianEvent {
    public static final String TYPE = "io.etcdguardian.restore.planned.v1";

    /** One step: {@code manual} steps are for an operator (commands to run on a host). */
    public record Step(String name, String description, List<String> touches, boolean manual) {}

    public RestorePlanned {
        Require.text(clusterId, "clusterId");
        Require.text(restoreId, "restoreId");
        Require.present(steps, "steps");
        notes = notes == null ? List.of() : List.copyOf(notes);
    }
}
