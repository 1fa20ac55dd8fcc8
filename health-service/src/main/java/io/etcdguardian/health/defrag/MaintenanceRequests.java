package io.etcdguardian.health.defrag;

import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventIntake;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.health.config.HealthSettings;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.OffsetStrategy;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Property;
import java.time.Instant;
import java.util.Collection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumes {@code guardian.maintenance.requests} (maintenance.requested.v1: DEFRAG, HEAL_NOSPACE);
 * produces maintenance.progress.v1 on guardian.health.events. One request at a time per consumer,
 * the offset committed after the work: a cluster's requests share a partition, so one cluster is
 * never defragmented twice at once, even with several replicas. The partitions it is assigned decide
 * which clusters this replica watches ({@link OwnedClusters}).
 */
@KafkaListener(
        groupId = "${guardian.health.group}",
        offsetReset = OffsetReset.EARLIEST,
        offsetStrategy = OffsetStrategy.SYNC_PER_RECORD,
        threads = 2,
        properties = {
            @Property(name = ConsumerConfig.MAX_POLL_RECORDS_CONFIG, value = "1"),
            @Property(
                    name = ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                    value = "${guardian.health.max-poll-interval-ms:7200000}")
        })
public class MaintenanceRequestListener implements ConsumerRebalanceListener {
    private final EventIntake intake;
    private final FleetRegistry fleet;
    private final DefragWorkflow workflow;
    private final String group;
    private final OwnedClusters owned;

    public MaintenanceRequestListener(
            EventIntake intake,
            FleetRegistry fleet,
            DefragWorkflow workflow,
            HealthSettings settings,
            OwnedClusters owned) {
        this.owned = owned;
        this.intake = intake;
        this.fleet = fleet;
        this.workflow = workflow;
        this.group = settings.group();
    }

    @Topic(Topics.MAINTENANCE_REQUESTS)
    void receive(ConsumerRecord<String, byte[]> record) {
        intake.accept(record, group, event -> {
            MaintenanceRequested request = event.dataAs(MaintenanceRequested.class);
            Instant requestedAt =
                    request.requestedAt() != null ? request.requestedAt() : Instant.ofEpochMilli(record.timestamp());
            workflow.run(fleet.require(request.clusterId()), event.id(), requestedAt);
        });
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        owned.onPartitionsAssigned(partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        owned.onPartitionsRevoked(partitions);
    }
}
