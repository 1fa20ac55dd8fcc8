package io.etcdguardian.restore.api;

import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.restore.plan.RestoreJournal;
import io.etcdguardian.restore.plan.RestoreState;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;

/** {@code GET /restores/{cluster}}: the cluster's restores, newest first, as journaled (steps done, where one stopped). */
@Controller("/restores")
@ExecuteOn(TaskExecutors.BLOCKING)
public class RestoreController {
    private final FleetRegistry fleet;
    private final RestoreJournal journal;

    public RestoreController(FleetRegistry fleet, RestoreJournal journal) {
        this.fleet = fleet;
        this.journal = journal;
    }

    @Get("/{clusterId}")
    public List<RestoreState> list(String clusterId) {
        return journal.ofCluster(fleet.require(clusterId).id());
    }
}
