package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;

/** {@code POST /snapshots/{cluster}/{id|latest}/drill}: runs a restore drill now and returns the updated manifest. */
@Secured(Roles.OPERATE)
@Controller("/snapshots")
@ExecuteOn(TaskExecutors.BLOCKING)
public class DrillController {
    private final FleetRegistry fleet;
    private final SnapshotCatalog catalog;
    private final RestoreDrill drill;

    public DrillController(FleetRegistry fleet, SnapshotCatalog catalog, RestoreDrill drill) {
        this.fleet = fleet;
        this.catalog = catalog;
        this.drill = drill;
    }

    @Post("/{clusterId}/{snapshotId}/drill")
    public SnapshotManifest drill(String clusterId, String snapshotId) {
        ClusterSpec cluster = fleet.require(clusterId);
        return drill.drill(cluster, catalog.require(cluster, snapshotId));
    }
}
