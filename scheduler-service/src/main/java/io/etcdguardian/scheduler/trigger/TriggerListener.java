package io.etcdguardian.scheduler.trigger;

import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventIntake;
import io.etcdguardian.scheduler.BackupEmitter;
import io.etcdguardian.scheduler.config.SchedulerSettings;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Consumes {@code guardian.maintenance.requests} (maintenance.requested.v1, DEFRAG): a backup before
 * a defragmentation (configurable), with an id derived from the triggering event. One group for all
 * replicas: each trigger is handled once. (The backup before a restore is the restore's own first
 * step: it must finish before anything is replaced, which a trigger here could not promise.)
 */
@KafkaListener(groupId = "guardian-scheduler-triggers", offsetReset = OffsetReset.LATEST)
public class TriggerListener {
    private final EventIntake intake;
    private final FleetRegistry fleet;
    private final BackupEmitter emitter;
    private final SchedulerSettings settings;

    public TriggerListener(EventIntake intake, FleetRegistry fleet, BackupEmitter emitter, SchedulerSettings settings) {
        this.intake = intake;
        this.fleet = fleet;
        this.emitter = emitter;
        this.settings = settings;
    }

    @Topic(Topics.MAINTENANCE_REQUESTS)
    void receive(ConsumerRecord<String, byte[]> record) {
        intake.accept(record, "guardian-scheduler-triggers", event -> {
            if (event.data() instanceof MaintenanceRequested maintenance
                    && settings.beforeDefrag()
                    && maintenance.action() == MaintenanceRequested.Action.DEFRAG) {
                emitter.request(
                        fleet.require(maintenance.clusterId()),
                        Trigger.PRE_DEFRAG,
                        "before defragmentation " + event.id(),
                        "scheduler-service",
                        null,
                        "pre-defrag/" + event.id());
            }
        });
    }
}
