package io.etcdguardian.common.event;

/**
 * Why an operation failed, was refused or was skipped: one vocabulary for failure and skip events,
 * the dead-letter header, HTTP errors and metric labels, so it stays a small, closed set.
 */
public enum Reason {
    INVALID_EVENT(false),
    UNKNOWN_EVENT_TYPE(false),
    UNKNOWN_CLUSTER(false),
    INVALID_CONFIG(false),
    INVALID_REQUEST(false),
    PAUSED(false),
    BUSY(true),
    ETCD_UNAVAILABLE(true),
    TLS_INVALID(false),
    STORE_UNAVAILABLE(true),
    STORE_ACCESS_DENIED(false),
    STORE_MISSING_BUCKET(false),
    INTEGRITY_FAILED(false),
    VERSION_MISMATCH(false),
    NOT_FOUND(false),
    PRECONDITION_FAILED(false),
    KAFKA_UNAVAILABLE(true),
    /** The broker refused this client: bad or missing credentials, or no ACL for what it tried. */
    KAFKA_ACCESS_DENIED(false),
    TIMEOUT(true),
    INTERNAL(false),
    /** A backup skipped: an earlier request of the cluster has no outcome yet. */
    IN_FLIGHT(true),
    /** A backup skipped: inside a blackout window of the cluster's schedule. */
    BLACKOUT(true),
    /** A backup skipped: the cluster is younger than the seeds' first-backup delay. */
    TOO_YOUNG(true),
    /** A backup skipped: an encryption-at-rest migration is rewriting the cluster's data. */
    ENCRYPTION_IN_PROGRESS(true);

    private final boolean retriableByDefault;

    Reason(boolean retriableByDefault) {
        this.retriableByDefault = retriableByDefault;
    }

    public boolean retriableByDefault() {
        return retriableByDefault;
    }
}
