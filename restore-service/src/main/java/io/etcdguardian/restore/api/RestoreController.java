package io.etcdguardian.restore.api;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Ids;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.util.List;
import java.util.Map;

/** {@code GET /restores/{cluster}}: the cluster's restores, newest first, as journaled in guardian.operations (plan, steps done, facts, where one stopped). */
@Secured(Roles.READ)
@Controller("/restores")
@ExecuteOn(TaskExecutors.BLOCKING)
public class RestoreController {
    private final FleetRegistry fleet;
    private final OperationJournal journal;
    private final SnapshotStaging staging;

    public RestoreController(FleetRegistry fleet, OperationJournal journal, SnapshotStaging staging) {
        this.fleet = fleet;
        this.journal = journal;
        this.staging = staging;
    }

    /**
     * A short-lived URL of the snapshot staged for a restore handed over to hosts (kubeadm): the hosts
     * fetch with it instead of holding store credentials. The URL is a bearer credential: role
     * {@code restore}, returned to the caller only, never logged or journaled.
     */
    @Secured(Roles.RESTORE)
    @Get("/{clusterId}/{restoreId}/snapshot-url")
    public Map<String, String> snapshotUrl(String clusterId, String restoreId) {
        ClusterSpec cluster = fleet.require(clusterId);
        OperationRecord restore = journal.find(Ids.id(restoreId, "restore id"))
                .filter(r -> r.kind() == OperationKind.RESTORE && r.clusterId().equals(cluster.id()))
                .orElseThrow(
                        () -> new GuardianException(Reason.NOT_FOUND, "no restore " + restoreId + " of " + clusterId));
        if (restore.status() != OperationRecord.Status.HANDED_OVER
                && restore.status() != OperationRecord.Status.RUNNING) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "restore " + restoreId + " is " + restore.status() + ": its staged copy is gone");
        }
        return Map.of(
                "url",
                staging.presign(cluster, restoreId).toString(),
                "expiresAt",
                java.time.Instant.now().plus(staging.presignExpiry()).toString());
    }

    @Get("/{clusterId}")
    public List<OperationRecord> list(String clusterId) {
        return journal.ofCluster(fleet.require(clusterId).id(), OperationKind.RESTORE);
    }
}
