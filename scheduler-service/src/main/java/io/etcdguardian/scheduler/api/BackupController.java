package io.etcdguardian.scheduler.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.EventLimits;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.scheduler.BackupEmitter;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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

    /** The body of an on-demand request; both fields optional. */
    record OnDemand(String reason, String requestedBy) {}

    @Post("/{clusterId}/backups")
    @Consumes(MediaType.APPLICATION_JSON)
    public HttpResponse<Map<String, Object>> backup(String clusterId, @Nullable @Body String payload) {
        ClusterSpec cluster = fleet.require(clusterId);
        OnDemand body;
        try {
            body = parse(payload);
        } catch (IllegalArgumentException e) {
            return HttpResponse.<Map<String, Object>>status(HttpStatus.BAD_REQUEST)
                    .body(Map.of("cluster", clusterId, "reason", "INVALID_REQUEST", "message", e.getMessage()));
        }
        BackupEmitter.Outcome outcome = emitter.request(
                cluster, Trigger.ON_DEMAND, body.reason(), body.requestedBy(), null, "on-demand/" + UUID.randomUUID());
        if (!outcome.emitted()) {
            return HttpResponse.<Map<String, Object>>status(HttpStatus.CONFLICT)
                    .body(Map.of(
                            "cluster",
                            clusterId,
                            "reason",
                            outcome.skip().reason(),
                            "message",
                            outcome.skip().detail()));
        }
        return HttpResponse.accepted().body(Map.of("cluster", clusterId, "requestId", outcome.requestId()));
    }

    /**
     * Read by hand rather than bound: a body that is a number, an array or an object where text belongs
     * gets a 400 naming what is wrong instead of a binding error's 500; the text ends up in events and
     * logs, so it is bounded and free of control characters.
     */
    static OnDemand parse(String payload) {
        if (payload == null || payload.isBlank()) {
            return new OnDemand("on demand", "http");
        }
        JsonNode root;
        try {
            root = EventJson.MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "the body is not JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (root == null || root.isNull()) {
            return new OnDemand("on demand", "http");
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object {\"reason\": …, \"requestedBy\": …},"
                    + " not " + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        List<String> unknown = new ArrayList<>();
        root.fieldNames().forEachRemaining(f -> {
            if (!f.equals("reason") && !f.equals("requestedBy")) {
                unknown.add(f);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown field(s) " + unknown + "; known: reason, requestedBy");
        }
        return new OnDemand(text(root, "reason", "on demand"), text(root, "requestedBy", "http"));
    }

    private static String text(JsonNode root, String field, String otherwise) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return otherwise;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be text, not "
                    + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        String text = value.asText();
        if (text.length() > EventLimits.SHORT_TEXT) {
            throw new IllegalArgumentException(
                    "'" + field + "' holds " + text.length() + " characters, more than " + EventLimits.SHORT_TEXT);
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("'" + field + "' holds control characters");
        }
        return text;
    }
}
