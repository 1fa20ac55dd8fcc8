package io.etcdguardian.restore.request;

import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.InboundEvent;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.requests.RequestConsumers;
import io.etcdguardian.restore.RestoreWorkflow;
import io.etcdguardian.restore.config.RestoreSettings;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Consumes {@code guardian.restore.requests} (restore.requested.v1); produces restore.planned.v1
 * and restore.progress.v1 on {@code guardian.restore.events}. The requests of one cluster run one at
 * a time, in order (one restore per cluster at a time); different clusters' side by side, up to
 * {@code guardian.restore.concurrency}. An offset is committed once every earlier request of its
 * partition ended: a service killed mid-restore gets the request again and the journal tells it where
 * to go on. The partitions this replica is assigned decide which clusters it sweeps staged copies for
 * ({@link OwnedClusters}).
 */
@Singleton
public class RestoreRequests {
    /** How long a restore on a partition that moves to another replica is awaited before it is let go. */
    private static final Duration REVOKE_TIMEOUT = Duration.ofHours(6);

    private final RequestConsumers consumers;
    private final FleetRegistry fleet;
    private final RestoreWorkflow workflow;
    private final RestoreSettings settings;
    private final OwnedClusters owned;

    public RestoreRequests(
            RequestConsumers consumers,
            FleetRegistry fleet,
            RestoreWorkflow workflow,
            RestoreSettings settings,
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
                Topics.RESTORE_REQUESTS, settings.group(), settings.concurrency(), REVOKE_TIMEOUT, owned, this::handle);
    }

    private void handle(InboundEvent event) {
        RestoreRequested request = event.dataAs(RestoreRequested.class);
        workflow.handle(fleet.require(request.clusterId()), event.id(), request);
    }
}
