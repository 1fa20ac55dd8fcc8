package io.etcdguardian.restore.api;

import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.security.Roles;
import io.micronaut.http.annotation.Controller;
import io.micronaut.security.annotation.Secured;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;

/** {@code GET /restores/{cluster}}: the cluster's restores, newest first, as journaled in guardian.operations (plan, steps done, facts, where one stopped). */
@Secured(Roles.READ)
@Controller("/restores")
@ExecuteOn(TaskExecutors.BLOCKING)
public class RestoreController {
    private final FleetRegistry fleet;
    private final OperationJournal journal;

    public RestoreController(FleetRegistry fleet, OperationJournal journal) {
        this.fleet = fleet;
        this.journal = journal;
    }

    @Get("/{clusterId}")
    public List<OperationRecord> list(String clusterId) {
        return journal.ofCluster(fleet.require(clusterId).id(), OperationKind.RESTORE);
    }
}
