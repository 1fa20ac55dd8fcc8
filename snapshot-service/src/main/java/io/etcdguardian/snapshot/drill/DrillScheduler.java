package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drills the newest snapshot of every cluster that has not been drilled yet, on a schedule
 * ({@code guardian.snapshot.drill-interval}, default 6h; {@code guardian.snapshot.drill.enabled=false} turns it off).
 */
@Singleton
@Requires(property = "guardian.snapshot.drill.enabled", notEquals = "false")
public class DrillScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(DrillScheduler.class);

    private final FleetRegistry fleet;
    private final SnapshotCatalog catalog;
    private final RestoreDrill drill;
    private final OwnedClusters owned;

    public DrillScheduler(FleetRegistry fleet, SnapshotCatalog catalog, RestoreDrill drill, OwnedClusters owned) {
        this.owned = owned;
        this.fleet = fleet;
        this.catalog = catalog;
        this.drill = drill;
    }

    @Scheduled(
            fixedDelay = "${guardian.snapshot.drill-interval:6h}",
            initialDelay = "${guardian.snapshot.drill-initial-delay:10m}")
    void drillNewest() {
        for (ClusterSpec cluster : fleet.current().all()) {
            if (!owned.owns(cluster.id())) {
                continue; // another replica drills it
            }
            try {
                catalog.newest(cluster)
                        .filter(m -> m.drill() == null)
                        .ifPresent(m -> drill.drillUnlessDrilled(cluster, m));
            } catch (RuntimeException e) {
                LOG.error("scheduled drill of {} failed, will try again: {}", cluster.id(), e.toString());
            }
        }
    }
}
