package io.etcdguardian.restore.procedure;

import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import java.util.List;

/** One restore procedure of the seeds, as a plan of named idempotent steps for a given restore. */
public interface RestoreTarget {
    /** The {@code kubernetes.kind} / request target it serves. */
    ControlPlaneKind kind();

    List<RestoreStep> plan(RestoreRun run);
}
