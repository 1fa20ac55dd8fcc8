package io.etcdguardian.common.kafka;

import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A listener as the services write them, recording what it handled; "flaky" reasons fail twice, "poison" always. */
@Requires(property = "spec.name", value = "EventIntakeIT")
@KafkaListener(groupId = "${test.group}", offsetReset = OffsetReset.EARLIEST)
public class RecordingListener {
    final List<InboundEvent> handled = new CopyOnWriteArrayList<>();
    final AtomicInteger flakyAttempts = new AtomicInteger();
    private final EventIntake intake;
    private final String group;

    RecordingListener(EventIntake intake, @Value("${test.group}") String group) {
        this.intake = intake;
        this.group = group;
    }

    @Topic(Topics.BACKUP_REQUESTS)
    void receive(ConsumerRecord<String, byte[]> record) {
        intake.accept(record, group, event -> {
            String reason = event.dataAs(BackupRequested.class).reason();
            if ("flaky".equals(reason) && flakyAttempts.incrementAndGet() < 3) {
                throw new GuardianException(Reason.ETCD_UNAVAILABLE, "member not answering yet");
            }
            if ("poison".equals(reason)) {
                throw new GuardianException(Reason.PRECONDITION_FAILED, "cannot be done");
            }
            handled.add(event);
        });
    }
}
