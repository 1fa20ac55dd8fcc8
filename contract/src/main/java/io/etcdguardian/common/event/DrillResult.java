package io.etcdguardian.common.event;

/** How a restore drill of a snapshot ended, in its manifest and its {@code snapshot.verified} event. */
public enum DrillResult {
    PASSED,
    /** Restored data differs from its manifest, or the snapshot cannot be restored: never a retention bucket. */
    FAILED
}
