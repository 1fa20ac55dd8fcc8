package io.etcdguardian.common.fleet;

import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.DeadLetters;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Requires;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Consumes {@code guardian.fleet.config} (compacted; key = cluster id, value = an override of the
 * allowed keys of a file cluster as YAML/JSON, tombstone = drop) — off unless {@code
 * guardian.fleet.topic.enabled=true}: the reviewed fleet file is the authority, and whoever may
 * write a topic must not be able to point a cluster's snapshots at another store. Every replica
 * reads the whole topic from the start (a group of its own), because each needs the full fleet. A
 * refused record is dead-lettered with its reason.
 */
@Requires(property = "guardian.fleet.topic.enabled", value = "true")
@KafkaListener(groupId = "guardian-fleet", uniqueGroupId = true, offsetReset = OffsetReset.EARLIEST)
public class FleetTopicListener {
    private final FleetRegistry registry;
    private final DeadLetters deadLetters;

    public FleetTopicListener(FleetRegistry registry, DeadLetters deadLetters) {
        this.registry = registry;
        this.deadLetters = deadLetters;
    }

    @Topic(Topics.FLEET_CONFIG)
    void receive(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        registry.applyTopicRecord(
                        record.key(),
                        record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8))
                .ifPresent(why -> deadLetters.send(
                        record, "guardian-fleet", Reason.INVALID_CONFIG, new IllegalArgumentException(why)));
    }
}
