package io.etcdguardian.common.operation;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import jakarta.inject.Singleton;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.Producer;

/**
 * The snapshots that restores still need: a restore that stopped FAILED is resumed later from the
 * snapshot it started with, so that snapshot must outlive any retention run until the restore ends.
 * Read from restore-service's journal ({@code guardian.restore.state}).
 */
@Singleton
public class OpenRestores {
    private static final Set<String> ENDED = Set.of("COMPLETED", "HANDED_OVER");
    private final CompactedTopic topic;

    public OpenRestores(@KafkaClient(id = "operation-journal", acks = KafkaClient.Acknowledge.ALL)
                        Producer<String, byte[]> producer, DefaultKafkaConsumerConfiguration<?, ?> consumerConfig) {
        this.topic = new CompactedTopic(Topics.RESTORE_STATE, producer, consumerConfig.getConfig());
    }

    /** Snapshot ids of the cluster that an open (running or stopped, resumable) restore reads. */
    public Set<String> snapshotsInUse(String clusterId) {
        topic.reload();
        return topic.all().values().stream().map(OpenRestores::parse)
                .filter(n -> n != null && clusterId.equals(n.path("clusterId").asText())
                        && !ENDED.contains(n.path("status").asText()) && n.hasNonNull("snapshotId"))
                .map(n -> n.get("snapshotId").asText()).collect(Collectors.toSet());
    }

    private static JsonNode parse(String json) {
        try {
            return EventJson.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    @jakarta.annotation.PreDestroy
    void close() {
        topic.close();
    }
}
