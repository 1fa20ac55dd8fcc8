package io.etcdguardian.snapshot.catalog;

import io.etcdguardian.common.catalog.ClusterCatalog;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.security.Roles;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.util.List;
import java.util.Map;

/**
 * The fleet catalogue over HTTP: one line per cluster of the fleet (snapshots in a few lines, the
 * last operation of each kind), read from {@code guardian.catalog} — no manifest is listed — so
 * a fleet of a thousand clusters answers in one read. A cluster with nothing recorded yet has a
 * line with no snapshots.
 */
@Secured(Roles.READ)
@Controller("/catalog")
@ExecuteOn(TaskExecutors.BLOCKING)
public class CatalogController {
    private final FleetCatalog catalog;
    private final FleetRegistry fleet;
    private final CatalogUpdates updates;

    public CatalogController(FleetCatalog catalog, FleetRegistry fleet, CatalogUpdates updates) {
        this.catalog = catalog;
        this.fleet = fleet;
        this.updates = updates;
    }

    @Get
    public List<ClusterCatalog> fleet() {
        Map<String, ClusterCatalog> lines = catalog.read();
        return fleet.current().all().stream()
                .map(c -> lines.getOrDefault(c.id(), new ClusterCatalog(c.id(), null, List.of())))
                .toList();
    }

    @Get("/{clusterId}")
    public ClusterCatalog cluster(String clusterId) {
        ClusterSpec cluster = fleet.require(clusterId);
        return catalog.read(cluster.id()).orElse(new ClusterCatalog(cluster.id(), null, List.of()));
    }

    /** Rebuilds the catalogue from the manifests and the operations journal (one command: {@code guardianctl catalog rebuild}). */
    @Secured(Roles.OPERATE)
    @Post("/rebuild")
    public CatalogUpdates.Rebuilt rebuild() {
        return updates.rebuild();
    }
}
