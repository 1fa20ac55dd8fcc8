package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.fleet.SloSpec;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
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
 * Kept current by every drill that passes, and read from the catalogue on a schedule so a fresh
 * replica (or one that did not run the drill) reports it too.
 */
@Singleton
public class RestorableAge {
    private static final Logger LOG = LoggerFactory.getLogger(RestorableAge.class);

    private final MeterRegistry registry;
    private final FleetRegistry fleet;
    private final SnapshotCatalog catalog;
    private final Map<String, AtomicLong> restorable = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> maxAge = new ConcurrentHashMap<>();

    public RestorableAge(MeterRegistry registry, FleetRegistry fleet, SnapshotCatalog catalog) {
        this.registry = registry;
        this.fleet = fleet;
        this.catalog = catalog;
    }

    /** A drill passed: its snapshot is restorable, and the newest one if it was taken later than the last. */
    public void passed(ClusterSpec cluster, SnapshotManifest manifest) {
        slo(cluster);
        restorable
                .computeIfAbsent(
                        cluster.id(),
                        c -> registry.gauge(
                                "guardian.snapshot.restorable.timestamp",
                                List.of(Tag.of("cluster", c)),
                                new AtomicLong()))
                .accumulateAndGet(manifest.takenAt().getEpochSecond(), Math::max);
    }

    @Scheduled(
            fixedDelay = "${guardian.snapshot.slo-refresh-interval:10m}",
            initialDelay = "${guardian.snapshot.slo-refresh-initial-delay:15s}")
    void refresh() {
        for (ClusterSpec cluster : fleet.current().all()) {
            try {
                slo(cluster);
                catalog.newestVerified(cluster).ifPresent(m -> passed(cluster, m));
            } catch (RuntimeException e) {
                LOG.warn("cannot read the catalogue of {} for its backup SLO: {}", cluster.id(), e.toString());
            }
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
