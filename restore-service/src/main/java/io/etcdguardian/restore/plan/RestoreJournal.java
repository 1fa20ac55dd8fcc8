package io.etcdguardian.restore.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import jakarta.inject.Singleton;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.producer.Producer;

/**
 * Every restore's {@link RestoreState}, durable in the compacted {@code guardian.restore.state}
 * topic and written after every step: a restore-service that crashes (or another replica that gets
 * the redelivered request) reads where the restore was and goes on from there.
 */
@Singleton
public class RestoreJournal {
    private final CompactedTopic topic;

    public RestoreJournal(@KafkaClient(id = "restore-journal", acks = KafkaClient.Acknowledge.ALL)
                          Producer<String, byte[]> producer, DefaultKafkaConsumerConfiguration<?, ?> consumerConfig) {
        this.topic = new CompactedTopic(Topics.RESTORE_STATE, producer, consumerConfig.getConfig());
    }

    /** The latest state, read from the topic now: another replica may have written it. */
    public Optional<RestoreState> find(String restoreId) {
        topic.reload();
        return topic.get(restoreId).map(RestoreJournal::parse);
    }

    /** A cluster's restores, newest first. */
    public List<RestoreState> ofCluster(String clusterId) {
        topic.reload();
        return topic.all().values().stream().map(RestoreJournal::parse).filter(s -> s.clusterId().equals(clusterId))
                .sorted(Comparator.comparing(RestoreState::startedAt).reversed()).toList();
    }

    public RestoreState record(RestoreState state) {
        try {
            topic.put(state.restoreId(), EventJson.MAPPER.writeValueAsString(state));
            return state;
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot write the state of restore " + state.restoreId(), e);
        }
    }

    private static RestoreState parse(String json) {
        try {
            return EventJson.MAPPER.readValue(json, RestoreState.class);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "unreadable restore state in " + Topics.RESTORE_STATE, e);
        }
    }

    @jakarta.annotation.PreDestroy
    void close() {
        topic.close();
    }
}
