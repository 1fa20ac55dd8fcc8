package io.etcdguardian.snapshot.catalog;

import io.etcdguardian.common.catalog.CatalogEntry;
import io.etcdguardian.common.catalog.ClusterCatalog;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.journal.JournalCoverage;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a cluster's line in the fleet catalogue equal to its manifests: after every commit, drill
 * result and deletion the manifests are listed again and the line replaced whole. One refresh per
 * cluster at a time, so the line put last is always from a listing taken after the last change.
 * A catalogue that cannot be written only lags (the manifests are the truth): the next change, the
 * hourly retention pass or {@link #rebuild} puts it right.
 */
@Singleton
public class CatalogUpdates {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogUpdates.class);

    private final SnapshotCatalog manifests;
    private final FleetCatalog catalog;
    private final FleetRegistry fleet;
    private final OperationJournal journal;
    private final JournalStore journalStore;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, Long> generations = new ConcurrentHashMap<>();

    public CatalogUpdates(
            SnapshotCatalog manifests,
            FleetCatalog catalog,
            FleetRegistry fleet,
            OperationJournal journal,
            JournalStore journalStore) {
        this.journalStore = journalStore;
        this.manifests = manifests;
        this.catalog = catalog;
        this.fleet = fleet;
        this.journal = journal;
    }

    /** The cluster's manifests changed: its line again, from them. Never throws. */
    public Optional<CatalogEntry> refresh(ClusterSpec cluster) {
        return refresh(cluster, null, -1);
    }

    /**
     * How many lines were put for the cluster so far: a caller that lists the manifests itself takes
     * this before its listing and hands both to {@link #refresh(ClusterSpec, List, long)}.
     */
    public long generation(String clusterId) {
        return generations.getOrDefault(clusterId, 0L);
    }

    /**
     * The cluster's manifests changed, and the caller knows them as they are now: {@code listing}
     * (taken at {@code generation}) with its own changes applied. Spares a listing; when another line
     * was put since that listing (a commit, a drill), it may be missing that change, and the
     * manifests are listed again instead (as they are without a listing). Never throws.
     */
    public Optional<CatalogEntry> refresh(ClusterSpec cluster, List<SnapshotManifest> listing, long generation) {
        try {
            return Optional.of(put(cluster, listing, generation));
        } catch (RuntimeException e) {
            LOG.warn(
                    "the fleet catalogue's line for {} is not updated ({}); the next change or a rebuild will",
                    cluster.id(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    private CatalogEntry put(ClusterSpec cluster) {
        return put(cluster, null, -1);
    }

    private CatalogEntry put(ClusterSpec cluster, List<SnapshotManifest> listing, long generation) {
        ReentrantLock lock = locks.computeIfAbsent(cluster.id(), k -> new ReentrantLock());
        lock.lock();
        try {
            List<SnapshotManifest> current =
                    listing != null && generation == generation(cluster.id()) ? listing : manifests.list(cluster);
            CatalogEntry entry = CatalogEntry.of(cluster.id(), current);
            catalog.putSnapshots(entry);
            generations.merge(cluster.id(), 1L, Long::sum);
            return entry;
        } finally {
            lock.unlock();
        }
    }

    /** What a rebuild did. */
    public record Rebuilt(
            int clusters, int snapshots, int operations, int journals, List<String> forgotten, List<String> failed) {}

    /**
     * The whole catalogue again from the truth: every fleet cluster's manifests and what its journal
     * covers, the operations journal's last operation of each kind, and tombstones for clusters no
     * longer in the fleet.
     * A cluster whose store cannot be read keeps its old line and is named in {@code failed}.
     */
    public Rebuilt rebuild() {
        List<ClusterSpec> clusters = List.copyOf(fleet.current().all());
        Set<String> ids = clusters.stream().map(ClusterSpec::id).collect(Collectors.toSet());
        int snapshots = 0;
        int journals = 0;
        List<String> failed = new ArrayList<>();
        for (ClusterSpec cluster : clusters) {
            try {
                long generation = generation(cluster.id());
                List<SnapshotManifest> listing = manifests.list(cluster);
                snapshots += put(cluster, listing, generation).snapshots();
                // one listing call for a cluster that never had a journal, not three
                Optional<JournalCoverage> coverage = journalStore.exists(cluster)
                        ? journalStore.coverage(cluster, journalStore.currentEpoch(cluster), listing)
                        : Optional.empty();
                if (coverage.isPresent()) {
                    catalog.putJournal(coverage.get());
                    journals++;
                }
            } catch (RuntimeException e) {
                LOG.error("catalogue rebuild: cannot list the manifests of {}: {}", cluster.id(), e.getMessage());
                failed.add(cluster.id());
            }
        }
        int operations = 0;
        for (OperationRecord last : journal.lastOfEachKind()) {
            if (ids.contains(last.clusterId())) {
                catalog.putOperation(last.clusterId(), OperationJournal.summaryOf(last));
                operations++;
            }
        }
        List<String> forgotten = new ArrayList<>();
        for (ClusterCatalog line : catalog.read().values()) {
            if (!ids.contains(line.clusterId())) {
                catalog.forget(line.clusterId());
                forgotten.add(line.clusterId());
            }
        }
        LOG.info(
                "fleet catalogue rebuilt: {} clusters, {} snapshots, {} operations, {} journals, {} forgotten, {} failed",
                clusters.size(),
                snapshots,
                operations,
                journals,
                forgotten.size(),
                failed.size());
        return new Rebuilt(clusters.size(), snapshots, operations, journals, forgotten, failed);
    }
}
