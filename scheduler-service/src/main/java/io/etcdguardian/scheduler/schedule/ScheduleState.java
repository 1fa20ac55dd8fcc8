package io.etcdguardian.scheduler.schedule;

import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.apache.kafka.clients.producer.Producer;

/**
 * What the scheduler has already handled, durable in the compacted {@code guardian.scheduler.state}
 * topic: per cluster the last slot handled, per {@code cluster/upgrade} the last upgrade seen. A
 * replica that becomes leader reads it from the start, so a restart or a failover neither repeats
 * slots nor forgets the ones missed while nobody was leader (those are caught up once).
 */
@Singleton
public class ScheduleState {
    private final CompactedTopic topic;

    public ScheduleState(
            @KafkaClient(id = "scheduler-state", acks = KafkaClient.Acknowledge.ALL) Producer<String, byte[]> producer,
            DefaultKafkaConsumerConfiguration<?, ?> consumerConfig) {
        this.topic = new CompactedTopic(Topics.SCHEDULER_STATE, producer, consumerConfig.getConfig());
    }

    public void reload() {
        topic.reload();
    }

    public Optional<String> get(String key) {
        return topic.get(key);
    }

    public void put(String key, String value) {
        topic.put(key, value);
    }

    @jakarta.annotation.PreDestroy
    void close() {
        topic.close();
    }
}
