package io.etcdguardian.common.event;

/**
 * The status of one step of a restore or maintenance operation, or of the operation as a whole (its
 * step named {@code restore} or {@code maintenance}). Serialised by name, as the events always were.
 */
public enum ProgressStatus {
    STARTED,
    /** A long step still moving bytes, reported at a bounded rate. */
    RUNNING,
    /** A step past its expected time, still awaited. */
    WAITING,
    DONE,
    /** A step a resumed operation found done, or an operation answered by an earlier run. */
    SKIPPED,
    /** A step done before a resume whose result no longer holds: it runs again. */
    REDO,
    FAILED,
    // outcomes of the operation as a whole
    COMPLETED,
    /** Refused before anything was touched. */
    REFUSED,
    /** What is left are manual steps, for the operator. */
    HANDED_OVER;

    /** The outcome an ended operation reports. */
    public boolean succeeded() {
        return this == COMPLETED || this == HANDED_OVER;
    }
}
