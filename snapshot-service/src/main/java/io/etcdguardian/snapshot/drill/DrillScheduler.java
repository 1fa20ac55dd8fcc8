package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.catalog.ClusterCatalog;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drills every cluster's newest snapshot within {@code drill-max-lag} (1h): every {@code
 * drill-interval} (1m) it reads the fleet catalogue — not the store — for the clusters this
 * replica owns whose newest snapshot waits for a drill, and starts the longest-waiting first, up to
 * {@code drill-concurrency} at once, so that a fleet's drills take turns instead of the same
 * clusters first every time. {@code guardian.snapshot.drill.enabled=false} turns it off.
 */
@Singleton
@Requires(property = "guardian.snapshot.drill.enabled", notEquals = "false")
public class DrillScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(DrillScheduler.class);

    private final FleetRegistry fleet;
    private final FleetCatalog fleetCatalog;
    private final SnapshotCatalog catalog;
    private final RestoreDrill drill;
    private final OwnedClusters owned;
    private final Duration maxLag;
    private final Semaphore slots;
    private final Set<String> drilling = ConcurrentHashMap.newKeySet();
    private final ExecutorService executor;

    public DrillScheduler(
            FleetRegistry fleet,
            FleetCatalog fleetCatalog,
            SnapshotCatalog catalog,
            RestoreDrill drill,
            OwnedClusters owned,
            SnapshotSettings settings) {
        this.owned = owned;
        this.fleet = fleet;
        this.fleetCatalog = fleetCatalog;
        this.catalog = catalog;
        this.drill = drill;
        this.maxLag = settings.drillMaxLag();
        this.slots = new Semaphore(settings.drillConcurrency());
        this.executor = Executors.newFixedThreadPool(settings.drillConcurrency(), r -> {
            Thread t = new Thread(r, "scheduled-drill");
            t.setDaemon(true);
            return t;
        });
    }

    @Scheduled(
            fixedDelay = "${guardian.snapshot.drill-interval:1m}",
            initialDelay = "${guardian.snapshot.drill-initial-delay:1m}")
    void drillNewest() {
        Instant now = Instant.now();
        Map<String, ClusterCatalog> lines;
        try {
            lines = fleetCatalog.read();
        } catch (RuntimeException e) {
            LOG.warn("scheduled drills wait: the fleet catalogue cannot be read ({})", e.getMessage());
            return;
        }
        List<Waiting> waiting = fleet.current().all().stream()
                .filter(c -> owned.owns(c.id()) && !drilling.contains(c.id()))
                .map(c -> new Waiting(c, lines.get(c.id())))
                .filter(w -> w.line() != null && w.line().snapshots() != null)
                .filter(w -> w.line().snapshots().waitsForDrill())
                // by commit time, not by lag against this replica's clock: a clock stepped back (or a
                // committer's ahead of ours) must not hide a cluster from its drill
                .sorted(Comparator.comparing(
                        (Waiting w) -> w.line().snapshots().newest().committedAt()))
                .toList();
        for (Waiting w : waiting) {
            Duration lag = w.line().snapshots().drillLag(now);
            if (lag.compareTo(maxLag) > 0) {
                LOG.warn(
                        "{}'s newest snapshot {} has waited {} for its drill, over drill-max-lag {}",
                        w.cluster().id(),
                        w.line().snapshots().newest().snapshotId(),
                        lag,
                        maxLag);
            }
            if (!slots.tryAcquire()) {
                continue; // the others wait for the next round, still longest-waiting first
            }
            drilling.add(w.cluster().id());
            executor.execute(() -> {
                try {
                    catalog.newest(w.cluster())
                            .filter(m -> m.drill() == null)
                            .ifPresent(m -> drill.drillUnlessDrilled(w.cluster(), m));
                } catch (RuntimeException e) {
                    LOG.error(
                            "scheduled drill of {} failed, will try again: {}",
                            w.cluster().id(),
                            e.toString());
                } finally {
                    drilling.remove(w.cluster().id());
                    slots.release();
                }
            });
        }
    }

    private record Waiting(ClusterSpec cluster, ClusterCatalog line) {}

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
