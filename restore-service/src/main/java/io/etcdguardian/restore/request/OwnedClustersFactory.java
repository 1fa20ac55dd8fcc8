package io.etcdguardian.restore.request;

import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

@Factory
class OwnedClustersFactory {
    /** This replica's clusters: those whose restore requests it is assigned. */
    @Singleton
    OwnedClusters owned(EventPublisher publisher) {
        return new OwnedClusters(Topics.RESTORE_REQUESTS, publisher::partitionsOf);
    }
}
