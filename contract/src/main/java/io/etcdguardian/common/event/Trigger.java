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
    JOURNAL_GAP
}
