package io.etcdguardian.common.store;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.KeyStoreSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.s3.S3Clients;
import jakarta.inject.Singleton;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link SnapshotStore} of a cluster (its snapshots) and of its key store (encryption-key
 * bundles, with their own bucket and credentials): S3 unless the endpoint is a {@code file:} URL.
 */
@Singleton
public class SnapshotStores {
    private final S3Clients clients;
    private final Map<StoreSpec, SnapshotStore> stores = new ConcurrentHashMap<>();

    public SnapshotStores(S3Clients clients) {
        this.clients = clients;
    }

    public SnapshotStore of(ClusterSpec cluster) {
        return of(cluster.store());
    }

    public SnapshotStore of(StoreSpec store) {
        return stores.computeIfAbsent(store, this::open);
    }

    /** The store of the cluster's encryption-key bundles; PRECONDITION_FAILED when none is configured. */
    public SnapshotStore keyStore(ClusterSpec cluster) {
        KeyStoreSpec keys = cluster.store().keyStore();
        if (keys == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED, "cluster '" + cluster.id() + "': store.keyStore is not configured");
        }
        return of(new StoreSpec(
                keys.bucket(),
                null,
                cluster.store().region(),
                keys.endpoint() != null ? keys.endpoint() : cluster.store().endpoint(),
                keys.credentialsFile(),
                cluster.store().serverSideEncryption(),
                cluster.store().kmsKeyId(),
                null,
                null));
    }

    public static boolean isDirectory(String endpoint) {
        return endpoint != null && endpoint.startsWith("file:");
    }

    private SnapshotStore open(StoreSpec store) {
        if (isDirectory(store.endpoint())) {
            return new FileSnapshotStore(Path.of(URI.create(store.endpoint())), store.bucket());
        }
        return new S3SnapshotStore(
                clients.client(store),
                () -> clients.presigner(store),
                store.bucket(),
                store.serverSideEncryption(),
                store.kmsKeyId());
    }
}
