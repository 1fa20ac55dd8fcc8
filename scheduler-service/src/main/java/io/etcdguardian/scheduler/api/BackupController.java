package io.etcdguardian.scheduler.api;

import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.scheduler.BackupEmitter;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.etcdguardian.common.security.Roles;
import io.micronaut.http.annotation.Controller;
import io.micronaut.security.annotation.Secured;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;
import java.util.UUID;

/** {@code POST /clusters/{id}/backups {"reason": "...", "requestedBy": "..."}}: a backup now, through the same guards. */
@Secured(Roles.OPERATE)
@Controller("/clusters")
@ExecuteOn(TaskExecutors.BLOCKING)
public class BackupController {
    private final FleetRegistry fleet;
    private final BackupEmitter emitter;

    public BackupController(FleetRegistry fleet, BackupEmitter emitter) {
        this.fleet = fleet;
        this.emitter = emitter;
    }

    /** The body of an on-demand request. */
    @io.micronaut.core.annotation.Introspected
    public record OnDemand(@Nullable String reason, @Nullable String requestedBy) {}

    @Post("/{clusterId}/backups")
    public HttpResponse<Map<String, Object>> backup(String clusterId, @Nullable @Body OnDemand body) {
        ClusterSpec cluster = fleet.require(clusterId);
        String reason = body == null || body.reason() == null ? "on demand" : body.reason();
        String by = body == null || body.requestedBy() == null ? "http" : body.requestedBy();
        BackupEmitter.Outcome outcome = emitter.request(cluster, Trigger.ON_DEMAND, reason, by, null,
                "on-demand/" + UUID.randomUUID());
        if (!outcome.emitted()) {
            return HttpResponse.<Map<String, Object>>status(HttpStatus.CONFLICT).body(Map.of("cluster", clusterId,
                    "reason", outcome.skip().reason(), "message", outcome.skip().detail()));
        }
        return HttpResponse.accepted().body(Map.of("cluster", clusterId, "requestId", outcome.requestId()));
    }

}
