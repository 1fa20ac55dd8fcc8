package io.etcdguardian.common.error;

/**
 * Why an operation failed. The same string goes into failure events, the dead-letter header and
 * metric labels, so it stays a small, closed set.
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
    INTERNAL(false);

    private final boolean retriableByDefault;

    Reason(boolean retriableByDefault) {
        this.retriableByDefault = retriableByDefault;
    }

    public boolean retriableByDefault() {
        return retriableByDefault;
    }
}
