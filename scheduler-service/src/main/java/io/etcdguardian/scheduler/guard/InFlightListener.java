package io.etcdguardian.scheduler.guard;

import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventIntake;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.Topic;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Consumes {@code guardian.backup.requests} (backup.requested.v1) and {@code guardian.snapshot.events}
 * (snapshot.completed/failed.v1) to know which cluster has a backup in flight. A group per replica,
 * from the latest offset: it tracks what happens from now on.
 */
@KafkaListener(groupId = "guardian-scheduler-inflight", uniqueGroupId = true, offsetReset = OffsetReset.LATEST)
public class InFlightListener {
    private final EventIntake intake;
    private final InFlight inFlight;

    public InFlightListener(EventIntake intake, InFlight inFlight) {
        this.intake = intake;
        this.inFlight = inFlight;
    }

    @Topic({Topics.BACKUP_REQUESTS, Topics.SNAPSHOT_EVENTS})
    void receive(ConsumerRecord<String, byte[]> record) {
        intake.accept(record, "guardian-scheduler-inflight", event -> {
            if (event.data() instanceof BackupRequested) {
                inFlight.started(event.clusterId(), event.id(), Instant.ofEpochMilli(record.timestamp()));
            } else if (event.data() instanceof SnapshotCompleted c) {
                inFlight.finished(c.clusterId(), c.requestId());
            } else if (event.data() instanceof SnapshotFailed f) {
                inFlight.finished(f.clusterId(), f.requestId());
            }
        });
    }
}
