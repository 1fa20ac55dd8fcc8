package io.etcdguardian.common.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Optional;

/**
 * Leases as small objects next to the cluster's snapshots ({@code <cluster>/leases/<kind>.json}),
 * changed only by conditional writes: {@code If-None-Match: *} to create, {@code If-Match: <etag>}
 * to take over, renew or release. S3 (since 2024), MinIO and S3Proxy answer a lost race with 412; a
 * directory store holds a file lock across its compare and write.
 */
@Singleton
public class ObjectStoreLeases implements LeaseStore {
    private final SnapshotStores stores;

    public ObjectStoreLeases(SnapshotStores stores) {
        this.stores = stores;
    }

    static String key(ClusterSpec cluster, OperationKind kind) {
        return SnapshotKeys.clusterPrefix(cluster) + "leases/" + kind.key() + ".json";
    }

    @Override
    public Optional<Versioned> read(ClusterSpec cluster, OperationKind kind) {
        Optional<SnapshotStore.Versioned> stored = stores.of(cluster).readVersioned(key(cluster, kind));
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Versioned(
                    EventJson.MAPPER.readValue(stored.get().bytes(), Lease.class),
                    stored.get().version()));
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "unreadable lease " + key(cluster, kind), e);
        }
    }

    @Override
    public boolean compareAndSet(ClusterSpec cluster, Lease lease, String expected) {
        try {
            return stores.of(cluster)
                    .compareAndSet(key(cluster, lease.kind()), EventJson.MAPPER.writeValueAsBytes(lease), expected);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise a lease", e);
        }
    }
}
