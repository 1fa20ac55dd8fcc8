package io.etcdguardian.snapshot.catalog;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Error;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;
import java.util.Map;

/** The committed snapshots of a cluster, as their manifests say (newest last). */
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
        return catalog.find(cluster, snapshotId).orElseThrow(() -> new GuardianException(Reason.NOT_FOUND,
                "no committed snapshot '" + snapshotId + "' for cluster '" + clusterId + "'"));
    }

    @Error(exception = GuardianException.class)
    public HttpResponse<Map<String, Object>> failed(HttpRequest<?> request, GuardianException e) {
        HttpStatus status = switch (e.reason()) {
            case UNKNOWN_CLUSTER, NOT_FOUND -> HttpStatus.NOT_FOUND;
            case STORE_UNAVAILABLE, ETCD_UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
            case STORE_ACCESS_DENIED, STORE_MISSING_BUCKET -> HttpStatus.BAD_GATEWAY;
            default -> HttpStatus.INTERNAL_SERVER_ERROR;
        };
        return HttpResponse.<Map<String, Object>>status(status)
                .body(Map.of("reason", e.reason().name(), "message", e.getMessage()));
    }
}
