package io.etcdguardian.health.defrag;

import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

@Factory
class OwnedClustersFactory {
    /** This replica's clusters: those whose maintenance requests it is assigned. */
    @Singleton
    OwnedClusters owned(EventPublisher publisher) {
        return new OwnedClusters(Topics.MAINTENANCE_REQUESTS, publisher::partitionsOf);
    }
}
