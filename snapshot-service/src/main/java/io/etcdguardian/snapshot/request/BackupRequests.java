package io.etcdguardian.snapshot.request;

import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kafka.InboundEvent;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.requests.RequestConsumers;
import io.etcdguardian.snapshot.SnapshotWorkflow;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Optional;

/**
 * Consumes {@code guardian.backup.requests} ({@code backup.requested.v1}); produces {@code
 * snapshot.started/completed/failed.v1} on {@code guardian.snapshot.events} through the workflow.
 * The requests of one cluster run one at a time, in order; those of different clusters side by side,
 * up to {@code guardian.snapshot.concurrency} on this replica, so a cluster whose etcd hangs delays no
 * other. An offset is committed once every earlier request of its partition is done: a crash
 * mid-snapshot redelivers the request. The partitions this replica is assigned decide which clusters it
 * runs retention and drills for ({@link OwnedClusters}).
 */
@Singleton
public class BackupRequests {
    private final RequestConsumers consumers;
    private final FleetRegistry fleet;
    private final SnapshotWorkflow workflow;
    private final EventPublisher events;
    private final SnapshotSettings settings;
    private final OwnedClusters owned;

    public BackupRequests(
            RequestConsumers consumers,
            FleetRegistry fleet,
            SnapshotWorkflow workflow,
            EventPublisher events,
            SnapshotSettings settings,
            OwnedClusters owned) {
        this.consumers = consumers;
        this.fleet = fleet;
        this.workflow = workflow;
        this.events = events;
        this.settings = settings;
        this.owned = owned;
    }

    @EventListener
    void start(StartupEvent started) {
        // a revoked partition's snapshot may run as long as the longest capture may
        consumers.start(
                Topics.BACKUP_REQUESTS,
                settings.group(),
                settings.concurrency(),
                settings.maxTimeout(),
                owned,
                this::handle);
    }

    private void handle(InboundEvent event) {
        BackupRequested request = event.dataAs(BackupRequested.class);
        Optional<ClusterSpec> cluster = fleet.find(request.clusterId());
        if (cluster.isEmpty()) {
            GuardianException unknown = new GuardianException(
                    Reason.UNKNOWN_CLUSTER, "cluster '" + request.clusterId() + "' is not in the fleet");
            events.publish(
                    EventEnvelope.deterministicId(event.id(), SnapshotFailed.TYPE),
                    new SnapshotFailed(
                            request.clusterId(),
                            event.id(),
                            Reason.UNKNOWN_CLUSTER,
                            false,
                            unknown.getMessage(),
                            Instant.now()));
            throw unknown; // and to the dead-letter topic: someone sent work for a cluster we do not know
        }
        // when it was asked for: the request's own field, else the event's time, else the record's
        Instant requestedAt = request.requestedAt() != null
                ? request.requestedAt()
                : event.envelope().getTime() != null
                        ? event.envelope().getTime().toInstant()
                        : Instant.ofEpochMilli(event.timestamp());
        workflow.handle(cluster.get(), event.id(), request, requestedAt);
    }
}
