package io.etcdguardian.scheduler;

import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.BackupSkipped;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.scheduler.guard.BackupGuards;
import io.etcdguardian.scheduler.guard.InFlight;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes backup requests ({@code backup.requested.v1} on guardian.backup.requests) after the
 * guards, or a {@code backup.skipped.v1} with the reason (guardian.scheduler.events). Ids are
 * derived from the operation (cluster + slot, or the triggering event), so a replay or a second
 * replica publishes the same id and the work is done once.
 */
@Singleton
public class BackupEmitter {
    private static final Logger LOG = LoggerFactory.getLogger(BackupEmitter.class);

    /** What happened: the request id when one was published, else the skip. */
    public record Outcome(String requestId, BackupGuards.Skip skip) {
        public boolean emitted() {
            return requestId != null;
        }
    }

    private final EventPublisher events;
    private final BackupGuards guards;
    private final InFlight inFlight;
    private final MeterRegistry meters;
    private final Clock clock;

    public BackupEmitter(
            EventPublisher events, BackupGuards guards, InFlight inFlight, MeterRegistry meters, Clock clock) {
        this.events = events;
        this.guards = guards;
        this.inFlight = inFlight;
        this.meters = meters;
        this.clock = clock;
    }

    /** @param operationId what the request id is derived from: cluster/slot, the triggering event id, … */
    public Outcome request(
            ClusterSpec cluster, Trigger trigger, String reason, String requestedBy, Instant slot, String operationId) {
        Optional<BackupGuards.Skip> skip = guards.check(cluster, trigger, slot);
        if (skip.isPresent()) {
            meters.counter(
                            "guardian.scheduler.skips",
                            "cluster",
                            cluster.id(),
                            "reason",
                            skip.get().reason().name())
                    .increment();
            LOG.info(
                    "backup of {} ({}) skipped: {} — {}",
                    cluster.id(),
                    trigger,
                    skip.get().reason(),
                    skip.get().detail());
            events.publish(
                    EventEnvelope.deterministicId(operationId, BackupSkipped.TYPE),
                    new BackupSkipped(
                            cluster.id(),
                            trigger,
                            skip.get().reason(),
                            skip.get().detail(),
                            slot));
            return new Outcome(null, skip.get());
        }
        Instant now = clock.instant();
        String id = EventEnvelope.deterministicId(operationId, BackupRequested.TYPE);
        events.publish(id, new BackupRequested(cluster.id(), trigger, reason, requestedBy, slot, now));
        inFlight.started(cluster.id(), id, now);
        meters.counter("guardian.scheduler.emitted", "cluster", cluster.id(), "trigger", trigger.name())
                .increment();
        LOG.info("requested a backup of {} ({}, {}): {}", cluster.id(), trigger, reason, id);
        return new Outcome(id, null);
    }
}
