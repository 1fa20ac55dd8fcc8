package io.etcdguardian.common.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed snapshots of a cluster, read from their manifests: the only thing listing,
 * retention and restore trust. Oldest first.
 */
@Singleton
public class SnapshotCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCatalog.class);
    private final SnapshotStores stores;

    public static final String LATEST = "latest";
    public static final String LATEST_VERIFIED = "latest-verified";

    /** The order snapshots were taken in; the id breaks a tie. */
    private static final Comparator<SnapshotManifest> TAKEN =
            Comparator.comparing(SnapshotManifest::takenAt).thenComparing(SnapshotManifest::snapshotId);

    public SnapshotCatalog(SnapshotStores stores) {
        this.stores = stores;
    }

    public List<SnapshotManifest> list(ClusterSpec cluster) {
        SnapshotStore store = stores.of(cluster);
        List<SnapshotManifest> manifests = new ArrayList<>();
        for (SnapshotStore.Entry object : store.list(SnapshotKeys.manifestsPrefix(cluster))) {
            if (object.key().endsWith(".json")) {
                try {
                    read(cluster, store, object.key()).ifPresent(manifests::add);
                } catch (GuardianException misplaced) {
                    // one manifest copied under another's name must not hide the others: listed without it
                    LOG.error("{}; left out of the catalogue", misplaced.getMessage());
                }
            }
        }
        manifests.sort(TAKEN);
        return manifests;
    }

    public Optional<SnapshotManifest> find(ClusterSpec cluster, String snapshotId) {
        return read(cluster, stores.of(cluster), SnapshotKeys.manifest(cluster, snapshotId));
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
        return found.orElseThrow(() -> new GuardianException(
                Reason.NOT_FOUND,
                switch (snapshotId == null ? LATEST_VERIFIED : snapshotId) {
                    case LATEST -> "cluster '" + cluster.id() + "' has no committed snapshot";
                    case LATEST_VERIFIED ->
                        "cluster '" + cluster.id() + "' has no verified snapshot (run a restore drill)";
                    default -> "no committed snapshot '" + snapshotId + "' for cluster '" + cluster.id() + "'";
                }));
    }

    /**
     * The newest committed snapshot, in the order of {@link #list} (taken last). Snapshot ids sort by
     * the second they were taken in, so one LIST finds that second; the snapshots of that second —
     * one, unless requests came faster than a second apart — are read to tell which was taken last
     * (their random suffixes do not sort by time).
     */
    public Optional<SnapshotManifest> newest(ClusterSpec cluster) {
        SnapshotStore store = stores.of(cluster);
        String second = null;
        List<String> keys = new ArrayList<>();
        for (SnapshotStore.Entry object : store.list(SnapshotKeys.manifestsPrefix(cluster))) {
            if (!object.key().endsWith(".json")) {
                continue;
            }
            String itsSecond = secondOf(object.key());
            int order = second == null ? 1 : itsSecond.compareTo(second);
            if (order > 0) {
                second = itsSecond;
                keys.clear();
            }
            if (order >= 0) {
                keys.add(object.key());
            }
        }
        return keys.stream()
                .map(key -> read(cluster, store, key))
                .flatMap(Optional::stream)
                .max(TAKEN);
    }

    /** A manifest's key up to its id's random suffix: {@code …/20261201T210932Z}. */
    private static String secondOf(String key) {
        int dash = key.lastIndexOf('-');
        return dash < 0 ? key : key.substring(0, dash);
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
            stores.of(cluster).write(SnapshotKeys.manifest(cluster, manifest.snapshotId()), json, "application/json");
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise manifest", e);
        }
    }

    /**
     * A manifest says which snapshot of which cluster it commits: one found under another snapshot's
     * name (swapped, copied) would restore something else than what was asked for — INTEGRITY_FAILED.
     */
    private static Optional<SnapshotManifest> read(ClusterSpec cluster, SnapshotStore store, String key) {
        Optional<byte[]> json = store.read(key);
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            SnapshotManifest manifest = EventJson.MAPPER.readValue(json.get(), SnapshotManifest.class);
            if (!manifest.snapshotId().equals(SnapshotKeys.snapshotIdOf(key))
                    || !manifest.clusterId().equals(cluster.id())) {
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED,
                        "manifest " + key + " commits snapshot " + manifest.clusterId() + "/" + manifest.snapshotId()
                                + ", not the one its name says");
            }
            return Optional.of(manifest);
        } catch (IOException e) {
            LOG.error("manifest {} is unreadable and is ignored: {}", key, e.getMessage());
            return Optional.empty();
        }
    }
}
