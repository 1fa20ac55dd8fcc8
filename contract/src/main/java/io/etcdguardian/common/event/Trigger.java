package io.etcdguardian.common.event;

/** Why a backup was asked for. */
public enum Trigger {
    SCHEDULE,
    ON_DEMAND,
    UPGRADE,
    PRE_RESTORE,
    PRE_DEFRAG,
    CATCH_UP
}
