package io.etcdguardian.restore.request;

import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventIntake;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.restore.RestoreWorkflow;
import io.etcdguardian.restore.config.RestoreSettings;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.OffsetStrategy;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Property;
import java.util.Collection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumes {@code guardian.restore.requests} (restore.requested.v1); produces restore.planned.v1
 * and restore.progress.v1 on {@code guardian.restore.events}. One record at a time, committed after
 * the restore ended: a service killed mid-restore gets the request again and the journal tells it
 * where to go on. A cluster's requests share a partition: one restore per cluster at a time. The
 * partitions it is assigned decide which clusters this replica sweeps staged copies for
 * ({@link OwnedClusters}).
 */
@KafkaListener(
        groupId = "${guardian.restore.group}",
        offsetReset = OffsetReset.EARLIEST,
        offsetStrategy = OffsetStrategy.SYNC_PER_RECORD,
        threads = 2,
        properties = {
            @Property(name = ConsumerConfig.MAX_POLL_RECORDS_CONFIG, value = "1"),
            @Property(name = ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, value = "21600000")
        })
public class RestoreRequestListener implements ConsumerRebalanceListener {
    private final EventIntake intake;
    private final FleetRegistry fleet;
    private final RestoreWorkflow workflow;
    private final String group;
    private final OwnedClusters owned;

    public RestoreRequestListener(
            EventIntake intake,
            FleetRegistry fleet,
            RestoreWorkflow workflow,
            RestoreSettings settings,
            OwnedClusters owned) {
        this.owned = owned;
        this.intake = intake;
        this.fleet = fleet;
        this.workflow = workflow;
        this.group = settings.group();
    }

    @Topic(Topics.RESTORE_REQUESTS)
    void receive(ConsumerRecord<String, byte[]> record) {
        intake.accept(record, group, event -> {
            RestoreRequested request = event.dataAs(RestoreRequested.class);
            workflow.handle(fleet.require(request.clusterId()), event.id(), request);
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
