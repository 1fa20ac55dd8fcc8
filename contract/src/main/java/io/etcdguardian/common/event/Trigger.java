package io.etcdguardian.common.event;

/** Why a backup was asked for. */
public enum Trigger {
    SCHEDULE,
    ON_DEMAND,
    UPGRADE,
    PRE_RESTORE,
    PRE_DEFRAG,
    CATCH_UP,
    // the journal lost revisions (etcd compacted them before it read them): a new base is needed at once
    JOURNAL_GAP,
    // the cluster as it was at a revision or time, made from a snapshot and the journal (not from etcd)
    POINT_IN_TIME
}
