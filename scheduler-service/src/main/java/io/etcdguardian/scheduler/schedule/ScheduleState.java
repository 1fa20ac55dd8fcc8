package io.etcdguardian.scheduler.schedule;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.Topics;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the scheduler has already handled, durable in the compacted {@code guardian.scheduler.state}
 * topic: per cluster the last slot handled, per {@code cluster/upgrade} the last upgrade seen. A
 * replica that becomes leader reads it from the start, so a restart or a failover neither repeats
 * slots nor forgets the ones missed while nobody was leader (those are caught up once).
 */
@Singleton
public class ScheduleState {
    private final Map<String, String> values = new ConcurrentHashMap<>();
    private final Producer<String, byte[]> producer;
    private final DefaultKafkaConsumerConfiguration<?, ?> consumerConfig;

    public ScheduleState(@KafkaClient(id = "scheduler-state", acks = KafkaClient.Acknowledge.ALL)
                         Producer<String, byte[]> producer, DefaultKafkaConsumerConfiguration<?, ?> consumerConfig) {
        this.producer = producer;
        this.consumerConfig = consumerConfig;
    }

    /** Reads the whole topic (compacted: one value per key). */
    public void reload() {
        Properties props = new Properties();
        props.putAll(consumerConfig.getConfig());
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.SCHEDULER_STATE, Duration.ofSeconds(10))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value() == null) {
                        values.remove(r.key());
                    } else {
                        values.put(r.key(), new String(r.value(), StandardCharsets.UTF_8));
                    }
                });
            }
        } catch (RuntimeException e) {
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "cannot read " + Topics.SCHEDULER_STATE, e);
        }
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** Records durably (acknowledged by the broker) before the caller moves on. */
    public void put(String key, String value) {
        try {
            producer.send(new ProducerRecord<>(Topics.SCHEDULER_STATE, key, value.getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
            values.put(key, value);
        } catch (Exception e) {
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "cannot record scheduler state for " + key, e);
        }
    }
}
