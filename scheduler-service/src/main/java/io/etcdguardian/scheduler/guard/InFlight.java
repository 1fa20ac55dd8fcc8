package io.etcdguardian.scheduler.guard;

import io.etcdguardian.scheduler.config.SchedulerSettings;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backup request of each cluster that has no outcome yet, whoever sent it: fed by the backup
 * request and snapshot event topics (every replica sees every record). An entry older than the
 * in-flight timeout is forgotten, so a lost outcome cannot block a cluster for ever.
 */
@Singleton
public class InFlight {
    /** One request waiting for its outcome. */
    public record Request(String requestId, Instant since) {}

    private final Map<String, Request> byCluster = new ConcurrentHashMap<>();
    private final Clock clock;
    private final SchedulerSettings settings;

    public InFlight(Clock clock, SchedulerSettings settings) {
        this.clock = clock;
        this.settings = settings;
    }

    public void started(String clusterId, String requestId, Instant at) {
        byCluster.merge(
                clusterId, new Request(requestId, at), (old, neu) -> old.since().isAfter(neu.since()) ? old : neu);
    }

    public void finished(String clusterId, String requestId) {
        byCluster.computeIfPresent(clusterId, (k, v) -> v.requestId().equals(requestId) ? null : v);
    }

    public Optional<Request> current(String clusterId) {
        Request request = byCluster.get(clusterId);
        if (request != null && request.since().plus(settings.inFlightTimeout()).isBefore(clock.instant())) {
            byCluster.remove(clusterId, request);
            return Optional.empty();
        }
        return Optional.ofNullable(request);
    }
}
