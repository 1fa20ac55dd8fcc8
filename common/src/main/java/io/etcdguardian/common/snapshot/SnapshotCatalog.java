package io.etcdguardian.common.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.s3.StoreErrors;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The committed snapshots of a cluster, read from their manifests: the only thing listing,
 * retention and restore trust. Oldest first.
 */
@Singleton
public class SnapshotCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCatalog.class);
    private final S3Clients clients;

    public static final String LATEST = "latest";
    public static final String LATEST_VERIFIED = "latest-verified";

    public SnapshotCatalog(S3Clients clients) {
        this.clients = clients;
    }

    public List<SnapshotManifest> list(ClusterSpec cluster) {
        S3Client s3 = clients.client(cluster.store());
        List<SnapshotManifest> manifests = new ArrayList<>();
        try {
            for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(cluster.store().bucket())
                    .prefix(SnapshotKeys.manifestsPrefix(cluster))).contents()) {
                if (object.key().endsWith(".json")) {
                    read(s3, cluster, object.key()).ifPresent(manifests::add);
                }
            }
        } catch (RuntimeException e) {
            throw StoreErrors.translate("list snapshots of " + cluster.id(), cluster.store().bucket(), e);
        }
        manifests.sort(Comparator.comparing(SnapshotManifest::takenAt).thenComparing(SnapshotManifest::snapshotId));
        return manifests;
    }

    public Optional<SnapshotManifest> find(ClusterSpec cluster, String snapshotId) {
        try {
            return read(clients.client(cluster.store()), cluster, SnapshotKeys.manifest(cluster, snapshotId));
        } catch (RuntimeException e) {
            throw StoreErrors.translate("read manifest " + snapshotId, cluster.store().bucket(), e);
        }
    }

    /**
     * A committed snapshot by id, or {@code latest} (the newest) or {@code latest-verified} (the newest
     * with a passed restore drill); NOT_FOUND with what was looked for otherwise.
     */
    public SnapshotManifest require(ClusterSpec cluster, String snapshotId) {
        Optional<SnapshotManifest> found = switch (snapshotId == null ? LATEST_VERIFIED : snapshotId) {
            case LATEST -> newest(cluster);
            case LATEST_VERIFIED -> newestVerified(cluster);
            default -> find(cluster, snapshotId);
        };
        return found.orElseThrow(() -> new GuardianException(Reason.NOT_FOUND, switch (snapshotId == null
                ? LATEST_VERIFIED : snapshotId) {
            case LATEST -> "cluster '" + cluster.id() + "' has no committed snapshot";
            case LATEST_VERIFIED -> "cluster '" + cluster.id() + "' has no verified snapshot (run a restore drill)";
            default -> "no committed snapshot '" + snapshotId + "' for cluster '" + cluster.id() + "'";
        }));
    }

    /** The newest committed snapshot: one LIST and one GET, because snapshot ids sort by the time they were taken. */
    public Optional<SnapshotManifest> newest(ClusterSpec cluster) {
        S3Client s3 = clients.client(cluster.store());
        try {
            String newestKey = null;
            for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(cluster.store().bucket())
                    .prefix(SnapshotKeys.manifestsPrefix(cluster))).contents()) {
                if (object.key().endsWith(".json") && (newestKey == null || object.key().compareTo(newestKey) > 0)) {
                    newestKey = object.key();
                }
            }
            return newestKey == null ? Optional.empty() : read(s3, cluster, newestKey);
        } catch (RuntimeException e) {
            throw StoreErrors.translate("find the newest snapshot of " + cluster.id(), cluster.store().bucket(), e);
        }
    }

    /** The newest snapshot whose restore drill passed — the one a restore may use without naming it. */
    public Optional<SnapshotManifest> newestVerified(ClusterSpec cluster) {
        List<SnapshotManifest> all = list(cluster);
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).drillPassed()) {
                return Optional.of(all.get(i));
            }
        }
        return Optional.empty();
    }

    /** Writes (commits) a manifest. */
    public void write(ClusterSpec cluster, SnapshotManifest manifest) {
        try {
            byte[] json = EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
            clients.client(cluster.store()).putObject(b -> b.bucket(cluster.store().bucket())
                    .key(SnapshotKeys.manifest(cluster, manifest.snapshotId())).contentType("application/json"),
                    RequestBody.fromBytes(json));
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise manifest", e);
        } catch (RuntimeException e) {
            throw StoreErrors.translate("write manifest " + manifest.snapshotId(), cluster.store().bucket(), e);
        }
    }

    private static Optional<SnapshotManifest> read(S3Client s3, ClusterSpec cluster, String key) {
        try {
            byte[] json = s3.getObjectAsBytes(b -> b.bucket(cluster.store().bucket()).key(key)).asByteArray();
            return Optional.of(EventJson.MAPPER.readValue(json, SnapshotManifest.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.error("manifest {} is unreadable and is ignored: {}", key, e.getMessage());
            return Optional.empty();
        }
    }
}
