package io.etcdguardian.restore.stage;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.restore.config.RestoreSettings;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staged restore copies hold a whole cluster's data: none outlives its use. Each restore removes its
 * copy when it ends; this removes what a crash left — a copy older than {@code presign-expiry} (its URL
 * no longer works) whose restore is not running — and a handed-over restore's copy after
 * {@code staged-expiry-days}, and asks each store to expire {@code restores/} by lifecycle as well,
 * where it can.
 */
@Singleton
public class StagedCopySweeper {
    private static final Logger LOG = LoggerFactory.getLogger(StagedCopySweeper.class);

    private final FleetRegistry fleet;
    private final SnapshotStores stores;
    private final OperationJournal journal;
    private final RestoreSettings settings;
    private final OwnedClusters owned;
    private final Set<String> lifecycleAsked = ConcurrentHashMap.newKeySet();

    public StagedCopySweeper(
            FleetRegistry fleet,
            SnapshotStores stores,
            OperationJournal journal,
            RestoreSettings settings,
            OwnedClusters owned) {
        this.owned = owned;
        this.fleet = fleet;
        this.stores = stores;
        this.journal = journal;
        this.settings = settings;
    }

    @Scheduled(fixedDelay = "${guardian.restore.staged-sweep-interval:10m}", initialDelay = "1m")
    void sweepFleet() {
        for (ClusterSpec cluster : fleet.current().all()) {
            if (!owned.owns(cluster.id())) {
                continue; // another replica sweeps it
            }
            try {
                sweep(cluster, Instant.now());
            } catch (RuntimeException e) {
                LOG.warn("staged copies of {} not swept, will try again: {}", cluster.id(), e.getMessage());
            }
        }
    }

    /** Removes {@code cluster}'s leftover staged copies as of {@code now}; returns their keys. */
    public List<String> sweep(ClusterSpec cluster, Instant now) {
        SnapshotStore store = stores.of(cluster);
        String prefix = SnapshotKeys.restoresPrefix(cluster);
        if (lifecycleAsked.add(cluster.store().bucket() + "/" + prefix)) {
            boolean expires = store.expireUnder(prefix, settings.stagedExpiryDays());
            LOG.info(
                    "staged restore copies under {}{}",
                    prefix,
                    expires
                            ? " expire by the bucket's lifecycle after " + settings.stagedExpiryDays() + "d"
                            : ": the store keeps no lifecycle rule; removed by this sweep");
        }
        Instant cutoff = now.minus(settings.presignExpiry()).minus(Duration.ofMinutes(1));
        // hosts of a handed-over restore fetch when the operator gets to it (fresh URLs: guardianctl restore-url)
        Instant handedOverCutoff = now.minus(Duration.ofDays(settings.stagedExpiryDays()));
        List<String> removed = new ArrayList<>();
        for (SnapshotStore.Entry object : store.list(prefix)) {
            String restoreId = object.key().substring(prefix.length()).split("/", 2)[0];
            OperationRecord.Status status =
                    journal.find(restoreId).map(OperationRecord::status).orElse(null);
            boolean running = status == OperationRecord.Status.RUNNING;
            Instant before = status == OperationRecord.Status.HANDED_OVER ? handedOverCutoff : cutoff;
            if (!running && object.lastModified().isBefore(before)) {
                store.delete(object.key());
                removed.add(object.key());
                LOG.info(
                        "removed the staged copy {} (restore {} is not running, its URL has expired)",
                        object.key(),
                        restoreId);
            }
        }
        return removed;
    }
}
