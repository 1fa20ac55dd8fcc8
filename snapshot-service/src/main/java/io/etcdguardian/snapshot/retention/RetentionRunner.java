package io.etcdguardian.snapshot.retention;

import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.operation.Lease;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationLeases;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.operation.Operations;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.snapshot.catalog.CatalogUpdates;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.etcdguardian.snapshot.journal.JournalSettings;
import io.etcdguardian.snapshot.journal.JournalWriters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies each cluster's retention after every snapshot and on a schedule, and removes what failed
 * uploads left: multipart uploads and manifest-less objects older than {@code orphanAge} (longer
 * than any snapshot takes, so a running upload is never touched). Never throws: retention is a
 * side job and must not fail a snapshot.
 */
@Singleton
public class RetentionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionRunner.class);
    private static final String DELETE = "delete ";

    private final SnapshotCatalog catalog;
    private final SnapshotStores stores;
    private final FleetRegistry fleet;
    private final MeterRegistry meters;
    private final Duration orphanAge;
    private final OperationLeases leases;
    private final OperationJournal journal;
    private final Operations operations;
    private final OwnedClusters owned;
    private final CatalogUpdates catalogUpdates;
    private final JournalStore journalStore;
    private final Duration journalWindow;
    private final Optional<JournalWriters> journalWriters;

    public RetentionRunner(
            SnapshotCatalog catalog,
            SnapshotStores stores,
            FleetRegistry fleet,
            MeterRegistry meters,
            SnapshotSettings settings,
            OperationLeases leases,
            OperationJournal journal,
            Operations operations,
            OwnedClusters owned,
            CatalogUpdates catalogUpdates,
            JournalStore journalStore,
            JournalSettings journalSettings,
            Optional<JournalWriters> journalWriters) {
        this.journalStore = journalStore;
        this.journalWindow = journalSettings.retention();
        this.journalWriters = journalWriters;
        this.owned = owned;
        this.catalogUpdates = catalogUpdates;
        this.leases = leases;
        this.journal = journal;
        this.operations = operations;
        this.catalog = catalog;
        this.stores = stores;
        this.fleet = fleet;
        this.meters = meters;
        this.orphanAge = settings.orphanAge();
    }

    @Scheduled(
            fixedDelay = "${guardian.snapshot.retention-interval:1h}",
            initialDelay = "${guardian.snapshot.retention-initial-delay:5m}")
    void applyToFleet() {
        // the clusters whose backup requests this replica consumes: each cluster's retention runs on one replica
        fleet.current().all().stream().filter(c -> owned.owns(c.id())).forEach(c -> {
            if (apply(c).isEmpty()) {
                catalogUpdates.refresh(c); // hourly, so a catalogue line that missed a change heals
            }
        });
    }

    /**
     * Returns the ids it deleted. Runs as an operation ({@link Operations}): under the cluster's
     * retention lease — never while a restore runs —, refused on a paused cluster, with the
     * deletions journaled as its plan before the first one. Keeps every snapshot a drill or an open
     * restore reads; a fencing check comes before each deletion.
     */
    public List<String> apply(ClusterSpec cluster) {
        List<String> deleted = new java.util.concurrent.CopyOnWriteArrayList<>();
        // the run's own listing, with its deletions taken out, becomes the catalogue line: no listing again
        long generation = catalogUpdates.generation(cluster.id());
        AtomicReference<List<SnapshotManifest>> listed = new AtomicReference<>();
        // one operation per run: nothing redelivers a retention run, the next one decides afresh
        String operationId = "retention-" + cluster.id() + "-" + Instant.now().toEpochMilli();
        try {
            Operations.Result result =
                    operations.run(cluster, OperationKind.RETENTION, operationId, null, List.of(), run -> {
                        List<OperationRecord> operationsOfCluster = journal.ofCluster(cluster.id());
                        Set<String> cutShort = cutShortDeletions(operationsOfCluster);
                        List<SnapshotManifest> manifests = catalog.list(cluster);
                        listed.set(manifests);
                        Set<String> inUse =
                                new HashSet<>(OperationJournal.snapshotsOfOpenRestores(operationsOfCluster));
                        leases.holding(cluster, OperationKind.DRILL)
                                .map(Lease::subject)
                                .ifPresent(inUse::add);
                        List<SnapshotManifest> delete = RetentionPolicy.toDelete(manifests, cluster.retention(), inUse);
                        // a cluster that never had a journal gets no journal step in its plan
                        List<JournalEpoch> epochs =
                                journalStore.exists(cluster) ? journalStore.epochs(cluster) : List.of();
                        List<JournalRetention.Cut> cuts = JournalRetention.cuts(
                                epochs,
                                manifests.stream()
                                        .filter(m -> !delete.contains(m))
                                        .toList(),
                                journalWindow,
                                Instant.now());
                        List<String> plan = new ArrayList<>();
                        delete.forEach(m -> plan.add(DELETE + m.snapshotId()));
                        cuts.forEach(c -> plan.add(c.step()));
                        run.plan(plan);
                        SnapshotStore store = stores.of(cluster);
                        for (SnapshotManifest m : delete) {
                            run.step(DELETE + m.snapshotId(), () -> {
                                // uncommit first: a crash in between leaves an orphan object, which the cleaner removes
                                store.delete(SnapshotKeys.manifest(cluster, m.snapshotId()));
                                Failpoints.hit("retention.uncommitted");
                                store.delete(m.objectKey());
                                if (m.staticResources() != null) {
                                    store.delete(m.staticResources().objectKey());
                                }
                                // the keys go with the snapshot, last: a snapshot never outlives the keys it needs
                                if (m.keyBundleKey() != null) {
                                    stores.keyStore(cluster).delete(m.keyBundleKey());
                                }
                            });
                            deleted.add(m.snapshotId());
                            LOG.info(
                                    "retention deleted snapshot {} of {} (taken {})",
                                    m.snapshotId(),
                                    cluster.id(),
                                    m.takenAt());
                        }
                        meters.counter("guardian.retention.deleted", "cluster", cluster.id())
                                .increment(delete.size());
                        List<String> pruned = new ArrayList<>();
                        JournalEpoch current = epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
                        for (JournalRetention.Cut cut : cuts) {
                            run.step(cut.step(), () -> {
                                JournalStore.Pruned p = journalStore.prune(
                                        cluster,
                                        cut.epoch(),
                                        cut.throughRevision(),
                                        cut.epoch().equals(current));
                                if (p.any()) {
                                    pruned.add(cut.epoch().name() + ": " + p.segments() + " segments");
                                    LOG.info(
                                            "retention pruned the journal of {}, epoch {}: {} segments uncommitted, {}"
                                                    + " data objects deleted, {} gaps ({})",
                                            cluster.id(),
                                            cut.epoch().name(),
                                            p.segments(),
                                            p.data(),
                                            p.gaps(),
                                            cut.why());
                                }
                            });
                        }
                        if (!pruned.isEmpty()) {
                            // the writer's coverage starts at a segment that may be gone: it lists afresh
                            journalWriters.ifPresent(w -> w.pruned(cluster.id()));
                        }
                        cleanOrphans(cluster, manifests, cutShort);
                        String journalDone =
                                pruned.isEmpty() ? "" : "; pruned the journal (" + String.join(", ", pruned) + ")";
                        return (delete.isEmpty() ? "nothing to delete" : "deleted " + String.join(", ", deleted))
                                + journalDone;
                    });
            if (result.status() != OperationRecord.Status.COMPLETED) {
                listed.set(null); // cut short: a manifest may be gone whose deletion was not counted
                LOG.info(
                        "retention of {} {}: {}",
                        cluster.id(),
                        result.status(),
                        result.record().detail());
            }
        } catch (RuntimeException e) {
            // the journal itself out of reach: retention is a side job, it tries again next time
            listed.set(null);
            LOG.warn("retention of {} did not run, will try again: {}", cluster.id(), e.getMessage());
        }
        if (!deleted.isEmpty()) {
            List<SnapshotManifest> left = listed.get() == null
                    ? null // no listing to trust: the catalogue lists again
                    : listed.get().stream()
                            .filter(m -> !deleted.contains(m.snapshotId()))
                            .toList();
            catalogUpdates.refresh(cluster, left, generation);
        }
        return List.copyOf(deleted);
    }

    /** One leftover that cannot be removed (gone already, say) must not keep the others. */
    private static void quietly(String action, Runnable step) {
        try {
            step.run();
            LOG.info("{}: done", action);
        } catch (RuntimeException e) {
            LOG.warn("{}: {}", action, e.toString());
        }
    }

    /**
     * The snapshots an earlier run uncommitted but did not finish deleting (it failed, or was killed,
     * between the manifest and the object): their objects go now, not {@code orphanAge} later — an
     * outage of the store during retention must not leave a database-sized object for a day. Read
     * under this run's lease, so no other run of the cluster is live.
     */
    private static Set<String> cutShortDeletions(List<OperationRecord> operationsOfCluster) {
        Set<String> ids = new HashSet<>();
        for (OperationRecord r : operationsOfCluster) {
            if (r.kind() == OperationKind.RETENTION && r.status() != OperationRecord.Status.COMPLETED) {
                r.plan().stream()
                        .filter(step -> !r.done().contains(step) && step.startsWith(DELETE))
                        .forEach(step -> ids.add(step.substring(DELETE.length())));
            }
        }
        return ids;
    }

    private void cleanOrphans(ClusterSpec cluster, List<SnapshotManifest> manifests, Set<String> cutShort) {
        SnapshotStore store = stores.of(cluster);
        Instant cutoff = Instant.now().minus(orphanAge);
        Set<String> committed = new HashSet<>();
        manifests.forEach(m -> {
            committed.add(m.objectKey());
            if (m.staticResources() != null) {
                committed.add(m.staticResources().objectKey());
            }
        });
        for (SnapshotStore.Entry object : store.list(SnapshotKeys.snapshotsPrefix(cluster))) {
            if (committed.contains(object.key())) {
                continue;
            }
            if (cutShort.contains(SnapshotKeys.snapshotIdOf(object.key()))) {
                quietly(
                        "finish deleting " + object.key() + " (an earlier retention run uncommitted it, then stopped)",
                        () -> store.delete(object.key()));
            } else if (object.lastModified().isBefore(cutoff)) {
                quietly(
                        "remove manifest-less object " + object.key() + " (left by an upload that never committed)",
                        () -> store.delete(object.key()));
            }
        }
        for (SnapshotStore.Entry staged : store.list(SnapshotKeys.stagingPrefix(cluster))) {
            if (staged.lastModified().isBefore(cutoff)) {
                quietly("remove a node's upload never taken in, " + staged.key(), () -> store.delete(staged.key()));
            }
        }
        for (SnapshotStore.PendingUpload upload : store.pendingUploads(SnapshotKeys.snapshotsPrefix(cluster))) {
            if (upload.initiated() != null && upload.initiated().isBefore(cutoff)) {
                quietly("abort stale multipart upload of " + upload.key(), () -> store.abort(upload));
            }
        }
        if (cluster.store().keyStore() != null) {
            // a bundle whose snapshot never committed, or whose deletion was cut short: keys kept for nothing
            Set<String> snapshots = new HashSet<>();
            manifests.forEach(m -> snapshots.add(m.snapshotId()));
            SnapshotStore keys = stores.keyStore(cluster);
            for (SnapshotStore.Entry bundle : keys.list(KeyBundles.clusterPrefix(cluster))) {
                boolean orphan = KeyBundles.snapshotIdOf(bundle.key())
                        .map(id -> !snapshots.contains(id))
                        .orElse(false);
                boolean cut = KeyBundles.snapshotIdOf(bundle.key())
                        .map(cutShort::contains)
                        .orElse(false);
                if (orphan && (cut || bundle.lastModified().isBefore(cutoff))) {
                    quietly(
                            "remove the key bundle of a snapshot that is gone, " + bundle.key(),
                            () -> keys.delete(bundle.key()));
                }
            }
        }
    }
}
