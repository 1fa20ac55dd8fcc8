package io.etcdguardian.restore.api;

import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.security.Roles;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.util.List;

/**
 * {@code GET /operations/{cluster}[?status=RUNNING]}: every operation of a cluster journaled in
 * guardian.operations — snapshots, drills, retention, defragmentations, restores — newest first;
 * what runs now, and where each one stopped. restore-service serves it because it reads the
 * journal for restores anyway.
 */
@Secured(Roles.READ)
@Controller("/operations")
@ExecuteOn(TaskExecutors.BLOCKING)
public class OperationsController {
    private final FleetRegistry fleet;
    private final OperationJournal journal;

    public OperationsController(FleetRegistry fleet, OperationJournal journal) {
        this.fleet = fleet;
        this.journal = journal;
    }

    @Get("/{clusterId}")
    public List<OperationRecord> list(String clusterId, @Nullable @QueryValue OperationRecord.Status status) {
        return journal.ofCluster(fleet.require(clusterId).id()).stream()
                .filter(r -> status == null || r.status() == status)
                .toList();
    }
}
