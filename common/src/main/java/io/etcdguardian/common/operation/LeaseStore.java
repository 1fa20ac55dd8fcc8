package io.etcdguardian.common.operation;

import io.etcdguardian.common.fleet.ClusterSpec;
import java.util.Optional;

/**
 * Where leases live: a store that can compare-and-set, because partition ownership alone is not a
 * lock (a consumer whose partition was revoked may still be running its step). Implemented on the
 * cluster's object store with conditional writes; a Kubernetes {@code coordination.k8s.io} Lease is
 * the other natural home.
 */
public interface LeaseStore {
    /** A lease as stored, with the version a conditional write must name. */
    record Versioned(Lease lease, String version) {}

    Optional<Versioned> read(ClusterSpec cluster, OperationKind kind);

    /** Writes {@code lease} only if the stored version is still {@code expected} (null: only if absent). */
    boolean compareAndSet(ClusterSpec cluster, Lease lease, String expected);
}
