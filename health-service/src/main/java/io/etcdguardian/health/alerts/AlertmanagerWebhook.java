package io.etcdguardian.health.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.DeadLetters;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.health.config.HealthSettings;
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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /alertmanager}: Prometheus Alertmanager's webhook (version 4). A firing etcd alert
 * whose cluster label names a fleet cluster becomes a {@code maintenance.requested.v1}: fragmentation
 * and growth alerts a DEFRAG, quota alerts a HEAL_NOSPACE. The request id comes from the alert's
 * fingerprint and start, so Alertmanager's repeats are done once. A malformed payload gets a 400,
 * alerts for clusters nobody knows a 404 — never a crash; either way the payload is kept on the
 * dead-letter topic with the reason, for whoever looks into the alerting setup.
 */
@Secured(Roles.OPERATE)
@Controller("/alertmanager")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AlertmanagerWebhook {
    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerWebhook.class);
    private static final Set<String> DEFRAG =
            Set.of("etcdDatabaseHighFragmentationRatio", "etcdExcessiveDatabaseGrowth");
    private static final Set<String> QUOTA = Set.of("etcdBackendQuotaLowSpace", "etcdDatabaseQuotaLowSpace");

    private final FleetRegistry fleet;
    private final EventPublisher events;
    private final String clusterLabel;
    private final DeadLetters deadLetters;

    public AlertmanagerWebhook(
            FleetRegistry fleet, EventPublisher events, DeadLetters deadLetters, HealthSettings settings) {
        this.fleet = fleet;
        this.events = events;
        this.deadLetters = deadLetters;
        this.clusterLabel = settings.alertClusterLabel();
    }

    @Post
    @Consumes(MediaType.APPLICATION_JSON)
    public HttpResponse<Map<String, Object>> receive(@Body String payload) {
        JsonNode root;
        try {
            root = EventJson.MAPPER.readTree(payload);
        } catch (IOException e) {
            deadLetters.rejected("/alertmanager", null, payload.getBytes(StandardCharsets.UTF_8), Reason.INVALID_EVENT);
            return answer(HttpStatus.BAD_REQUEST, "not JSON: " + e.getClass().getSimpleName(), List.of(), List.of());
        }
        if (root == null || !root.path("alerts").isArray()) {
            deadLetters.rejected("/alertmanager", null, payload.getBytes(StandardCharsets.UTF_8), Reason.INVALID_EVENT);
            return answer(
                    HttpStatus.BAD_REQUEST,
                    "not an Alertmanager webhook payload: no 'alerts' list",
                    List.of(),
                    List.of());
        }
        List<String> requested = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        int unknown = 0;
        int malformed = 0;
        int index = 0;
        for (JsonNode alert : root.get("alerts")) {
            index++;
            if (!alert.isObject()) {
                malformed++;
                ignored.add("alert " + index + " is not an object");
                continue;
            }
            String name = shown(alert.path("labels").path("alertname").asText(""));
            String cluster = alert.path("labels").path(clusterLabel).asText("");
            if (!"firing".equals(alert.path("status").asText())) {
                ignored.add(name + ": resolved");
                continue;
            }
            MaintenanceRequested.Action action = DEFRAG.contains(name)
                    ? MaintenanceRequested.Action.DEFRAG
                    : QUOTA.contains(name) ? MaintenanceRequested.Action.HEAL_NOSPACE : null;
            if (action == null) {
                ignored.add(name + ": no maintenance for this alert");
                continue;
            }
            if (cluster.isEmpty() || fleet.find(cluster).isEmpty()) {
                unknown++;
                ignored.add(name + ": label " + clusterLabel + "='" + shown(cluster) + "' names no fleet cluster");
                continue;
            }
            String operation = "alert/" + alert.path("fingerprint").asText(name + cluster) + "/"
                    + alert.path("startsAt").asText("");
            String id = EventEnvelope.deterministicId(operation, MaintenanceRequested.TYPE);
            events.publish(id, new MaintenanceRequested(cluster, action, name, "alertmanager", Instant.now()));
            requested.add(id);
        }
        if (!ignored.isEmpty()) { // one line, however many alerts a notification groups
            LOG.info("{} alert(s) not acted on: {}", ignored.size(), summary(ignored));
        }
        if (requested.isEmpty() && malformed > 0) {
            deadLetters.rejected("/alertmanager", null, payload.getBytes(StandardCharsets.UTF_8), Reason.INVALID_EVENT);
            return answer(HttpStatus.BAD_REQUEST, malformed + " alert(s) are not objects", requested, summary(ignored));
        }
        if (unknown > 0) {
            deadLetters.rejected(
                    "/alertmanager", null, payload.getBytes(StandardCharsets.UTF_8), Reason.UNKNOWN_CLUSTER);
        }
        if (requested.isEmpty() && unknown > 0) {
            return answer(HttpStatus.NOT_FOUND, "no alert names a fleet cluster", requested, summary(ignored));
        }
        return answer(HttpStatus.OK, requested.size() + " maintenance request(s)", requested, summary(ignored));
    }

    /** A label as it is shown in answers and logs: a hostile one is cut, not repeated in full. */
    private static String shown(String label) {
        return label.length() <= 100 ? label : label.substring(0, 100) + "… (" + label.length() + " characters)";
    }

    private static List<String> summary(List<String> ignored) {
        if (ignored.size() <= 20) {
            return ignored;
        }
        List<String> first = new ArrayList<>(ignored.subList(0, 20));
        first.add("… and " + (ignored.size() - 20) + " more");
        return first;
    }

    private static HttpResponse<Map<String, Object>> answer(
            HttpStatus status, String message, List<String> requested, List<String> ignored) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", message);
        body.put("requested", requested);
        body.put("ignored", ignored);
        return HttpResponse.<Map<String, Object>>status(status).body(body);
    }
}
