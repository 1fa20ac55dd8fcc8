package io.etcdguardian.health.defrag;

import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.InboundEvent;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.requests.RequestConsumers;
import io.etcdguardian.health.config.HealthSettings;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.time.Instant;

/**
 * Consumes {@code guardian.maintenance.requests} (maintenance.requested.v1: DEFRAG, HEAL_NOSPACE);
 * produces maintenance.progress.v1 on guardian.health.events. The requests of one cluster run one at a
 * time, in order, so a cluster is never defragmented twice at once, even with several replicas;
 * different clusters' side by side, up to {@code guardian.health.concurrency} (which bounds the I/O
 * this replica causes). An offset is committed once every earlier request of its partition is done.
 * The partitions it is assigned decide which clusters this replica watches ({@link OwnedClusters}).
 */
@Singleton
public class MaintenanceRequests {
    private final RequestConsumers consumers;
    private final FleetRegistry fleet;
    private final DefragWorkflow workflow;
    private final HealthSettings settings;
    private final OwnedClusters owned;

    public MaintenanceRequests(
            RequestConsumers consumers,
            FleetRegistry fleet,
            DefragWorkflow workflow,
            HealthSettings settings,
            OwnedClusters owned) {
        this.consumers = consumers;
        this.fleet = fleet;
        this.workflow = workflow;
        this.settings = settings;
        this.owned = owned;
    }

    @EventListener
    void start(StartupEvent started) {
        consumers.start(
                Topics.MAINTENANCE_REQUESTS,
                settings.group(),
                settings.concurrency(),
                settings.revokeTimeout(),
                owned,
                this::handle);
    }

    private void handle(InboundEvent event) {
        MaintenanceRequested request = event.dataAs(MaintenanceRequested.class);
        Instant requestedAt =
                request.requestedAt() != null ? request.requestedAt() : Instant.ofEpochMilli(event.timestamp());
        workflow.run(fleet.require(request.clusterId()), event.id(), requestedAt);
    }
}
