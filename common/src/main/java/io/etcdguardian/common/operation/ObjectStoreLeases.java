package io.etcdguardian.common.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Leases as small objects next to the cluster's snapshots ({@code <cluster>/leases/<kind>.json}),
 * changed only by conditional writes: {@code If-None-Match: *} to create, {@code If-Match: <etag>}
 * to take over, renew or release. S3 (since 2024), MinIO and S3Proxy answer a lost race with 412.
 */
@Singleton
public class ObjectStoreLeases implements LeaseStore {
    private final S3Clients clients;

    public ObjectStoreLeases(S3Clients clients) {
        this.clients = clients;
    }

    static String key(ClusterSpec cluster, OperationKind kind) {
        return SnapshotKeys.clusterPrefix(cluster) + "leases/" + kind.key() + ".json";
    }

    @Override
    public Optional<Versioned> read(ClusterSpec cluster, OperationKind kind) {
        try {
            ResponseBytes<GetObjectResponse> object = clients.client(cluster.store())
                    .getObjectAsBytes(b -> b.bucket(cluster.store().bucket()).key(key(cluster, kind)));
            return Optional.of(new Versioned(EventJson.MAPPER.readValue(object.asByteArray(), Lease.class),
                    object.response().eTag()));
        } catch (NoSuchKeyException absent) {
            return Optional.empty();
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "unreadable lease " + key(cluster, kind), e);
        } catch (RuntimeException e) {
            throw StoreErrors.translate("read the " + kind.key() + " lease of " + cluster.id(),
                    cluster.store().bucket(), e);
        }
    }

    @Override
    public boolean compareAndSet(ClusterSpec cluster, Lease lease, String expected) {
        try {
            byte[] json = EventJson.MAPPER.writeValueAsBytes(lease);
            clients.client(cluster.store()).putObject(b -> {
                b.bucket(cluster.store().bucket()).key(key(cluster, lease.kind())).contentType("application/json");
                if (expected == null) {
                    b.ifNoneMatch("*");
                } else {
                    b.ifMatch(expected);
                }
            }, RequestBody.fromBytes(json));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false; // another holder wrote first
            }
            throw StoreErrors.translate("write the " + lease.kind().key() + " lease of " + cluster.id(),
                    cluster.store().bucket(), e);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise a lease", e);
        } catch (RuntimeException e) {
            throw StoreErrors.translate("write the " + lease.kind().key() + " lease of " + cluster.id(),
                    cluster.store().bucket(), e);
        }
    }
}
