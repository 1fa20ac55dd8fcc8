package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.catalog.CatalogEntry;
import io.etcdguardian.common.catalog.ClusterCatalog;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.fleet.SloSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup SLO as metrics, per cluster: when its newest restorable snapshot (drill passed) was
 * taken ({@code guardian_snapshot_restorable_timestamp}) and how old it may be ({@code
 * guardian_backup_slo_max_age_seconds}, the fleet's {@code slo.maxBackupAge}). The chart alerts when
 * the one is older than the other, or when a cluster has an SLO and no restorable snapshot at all.
 * Kept current by every drill that passes, and read from the fleet catalogue on a schedule so a
 * fresh replica (or one that did not run the drill) reports it too — one read for the whole fleet,
 * no manifest listed. With it, {@code guardian_snapshot_drill_lag_seconds}: how long each cluster's
 * newest snapshot has waited for its drill (0: drilled), which {@code drill-max-lag} bounds.
 */
@Singleton
public class RestorableAge {
    private static final Logger LOG = LoggerFactory.getLogger(RestorableAge.class);

    private final MeterRegistry registry;
    private final FleetRegistry fleet;
    private final FleetCatalog catalog;
    private final Map<String, AtomicLong> restorable = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> maxAge = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> drillLag = new ConcurrentHashMap<>();

    public RestorableAge(MeterRegistry registry, FleetRegistry fleet, FleetCatalog catalog) {
        this.registry = registry;
        this.fleet = fleet;
        this.catalog = catalog;
    }

    /** A drill passed: its snapshot is restorable, and the newest one if it was taken later than the last. */
    public void passed(ClusterSpec cluster, SnapshotManifest manifest) {
        passed(cluster, manifest.takenAt());
    }

    private void passed(ClusterSpec cluster, Instant takenAt) {
        slo(cluster);
        restorable
                .computeIfAbsent(
                        cluster.id(),
                        c -> registry.gauge(
                                "guardian.snapshot.restorable.timestamp",
                                List.of(Tag.of("cluster", c)),
                                new AtomicLong()))
                .accumulateAndGet(takenAt.getEpochSecond(), Math::max);
    }

    @Scheduled(
            fixedDelay = "${guardian.snapshot.slo-refresh-interval:10m}",
            initialDelay = "${guardian.snapshot.slo-refresh-initial-delay:15s}")
    void refresh() {
        Map<String, ClusterCatalog> lines;
        try {
            lines = catalog.read();
        } catch (RuntimeException e) {
            LOG.warn("cannot read the fleet catalogue for the backup SLO metrics: {}", e.toString());
            return;
        }
        Instant now = Instant.now();
        for (ClusterSpec cluster : fleet.current().all()) {
            slo(cluster);
            CatalogEntry entry =
                    lines.containsKey(cluster.id()) ? lines.get(cluster.id()).snapshots() : null;
            if (entry != null && entry.newestRestorable() != null) {
                passed(cluster, entry.newestRestorable().takenAt());
            }
            drillLag.computeIfAbsent(
                            cluster.id(),
                            c -> registry.gauge(
                                    "guardian.snapshot.drill.lag.seconds",
                                    List.of(Tag.of("cluster", c)),
                                    new AtomicLong()))
                    .set(entry == null ? 0 : entry.drillLag(now).toSeconds());
        }
    }

    private void slo(ClusterSpec cluster) {
        maxAge.computeIfAbsent(
                        cluster.id(),
                        c -> registry.gauge(
                                "guardian.backup.slo.max.age.seconds", List.of(Tag.of("cluster", c)), new AtomicLong()))
                .set(SloSpec.maxBackupAgeOf(cluster).toSeconds());
    }
}
