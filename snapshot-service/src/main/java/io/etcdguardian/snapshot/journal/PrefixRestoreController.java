package io.etcdguardian.snapshot.journal;

import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.security.Roles;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.time.Instant;

/**
 * {@code POST /snapshots/{cluster}/prefix-restore} {prefix, toRevision | toTime, dryRun}: one key prefix
 * of the live cluster put back as it was then ({@link PrefixRestore}); the keys and what was done with
 * each, never their values. Role {@code restore}.
 */
@Secured(Roles.RESTORE)
@Controller("/snapshots")
@ExecuteOn(TaskExecutors.BLOCKING)
public class PrefixRestoreController {
    private final FleetRegistry fleet;
    private final PrefixRestore restore;

    public PrefixRestoreController(FleetRegistry fleet, PrefixRestore restore) {
        this.fleet = fleet;
        this.restore = restore;
    }

    /** What to restore: a key prefix, and the revision or the time it is to be as it was at. */
    public record Request(String prefix, Long toRevision, Instant toTime, boolean dryRun) {}

    @Post("/{clusterId}/prefix-restore")
    public PrefixRestore.Result restore(String clusterId, @Body Request request) {
        return restore.run(
                fleet.require(clusterId), request.prefix(), request.toRevision(), request.toTime(), request.dryRun());
    }
}
