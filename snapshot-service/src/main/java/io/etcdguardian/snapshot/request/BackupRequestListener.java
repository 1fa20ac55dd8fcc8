package io.etcdguardian.snapshot.request;

import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventIntake;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.snapshot.SnapshotWorkflow;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.OffsetStrategy;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Property;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumes {@code guardian.backup.requests} ({@code backup.requested.v1}); produces {@code
 * snapshot.started/completed/failed.v1} on {@code guardian.snapshot.events} through the workflow.
 * One record at a time with a poll interval longer than the longest snapshot, and the offset
 * committed after the outcome is published: a crash mid-snapshot redelivers the request. The
 * partitions it is assigned decide which clusters this replica runs retention and drills for
 * ({@link OwnedClusters}).
 */
@KafkaListener(
        groupId = "${guardian.snapshot.group}",
        offsetReset = OffsetReset.EARLIEST,
        offsetStrategy = OffsetStrategy.SYNC_PER_RECORD,
        threads = 2,
        properties = {
            @Property(name = ConsumerConfig.MAX_POLL_RECORDS_CONFIG, value = "1"),
            @Property(name = ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, value = "21600000")
        })
public class BackupRequestListener implements ConsumerRebalanceListener {
    private final EventIntake intake;
    private final FleetRegistry fleet;
    private final SnapshotWorkflow workflow;
    private final EventPublisher events;
    private final String group;
    private final OwnedClusters owned;

    public BackupRequestListener(
            EventIntake intake,
            FleetRegistry fleet,
            SnapshotWorkflow workflow,
            EventPublisher events,
            SnapshotSettings settings,
            OwnedClusters owned) {
        this.owned = owned;
        this.intake = intake;
        this.fleet = fleet;
        this.workflow = workflow;
        this.events = events;
        this.group = settings.group();
    }

    @Topic(Topics.BACKUP_REQUESTS)
    void receive(ConsumerRecord<String, byte[]> record) {
        intake.accept(record, group, event -> {
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
                            : Instant.ofEpochMilli(record.timestamp());
            workflow.handle(cluster.get(), event.id(), request, requestedAt);
        });
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        owned.assigned(partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        owned.revoked(partitions);
    }
}
