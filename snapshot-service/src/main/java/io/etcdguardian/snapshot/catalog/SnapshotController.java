package io.etcdguardian.snapshot.catalog;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.security.Roles;
import io.micronaut.http.annotation.Controller;
import io.micronaut.security.annotation.Secured;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;

/** The committed snapshots of a cluster, as their manifests say (newest last). */
@Secured(Roles.READ)
@Controller("/snapshots")
@ExecuteOn(TaskExecutors.BLOCKING)
public class SnapshotController {
    private final FleetRegistry fleet;
    private final SnapshotCatalog catalog;

    public SnapshotController(FleetRegistry fleet, SnapshotCatalog catalog) {
        this.fleet = fleet;
        this.catalog = catalog;
    }

    @Get("/{clusterId}")
    public List<SnapshotManifest> list(String clusterId) {
        return catalog.list(fleet.require(clusterId));
    }

    @Get("/{clusterId}/{snapshotId}")
    public SnapshotManifest show(String clusterId, String snapshotId) {
        ClusterSpec cluster = fleet.require(clusterId);
        return catalog.require(cluster, snapshotId);
    }

}
