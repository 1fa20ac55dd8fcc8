package io.etcdguardian.common.fleet;

import io.etcdguardian.common.event.Topics;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Requires;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Consumes {@code guardian.fleet.config} (compacted; key = cluster id, value = the cluster's spec as
 * YAML/JSON, tombstone = drop). Every replica reads the whole topic from the start (a group of its
 * own), because each needs the full fleet, not a share of it.
 */
@Requires(property = "guardian.fleet.topic.enabled", notEquals = "false")
@KafkaListener(groupId = "guardian-fleet", uniqueGroupId = true, offsetReset = OffsetReset.EARLIEST)
public class FleetTopicListener {
    private final FleetRegistry registry;

    public FleetTopicListener(FleetRegistry registry) {
        this.registry = registry;
    }

    @Topic(Topics.FLEET_CONFIG)
    void receive(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        registry.applyTopicRecord(record.key(),
                record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8));
    }
}
