package io.etcdguardian.common.kafka;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
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
 * A compacted topic used as a small durable key-value table: {@link #reload} reads it from the
 * start (one value per key survives compaction), {@link #put} returns only once the broker has it.
 * Services keep their state here rather than on a disk another replica cannot see.
 */
public final class CompactedTopic implements AutoCloseable {
    private final String topic;
    private final Producer<String, byte[]> producer;
    private final Properties consumerConfig = new Properties();
    private final Map<String, String> values = new ConcurrentHashMap<>();
    private KafkaConsumer<String, byte[]> consumer;
    private List<TopicPartition> partitions = List.of();

    public CompactedTopic(String topic, Producer<String, byte[]> producer, Map<?, ?> consumerConfig) {
        this.topic = topic;
        this.producer = producer;
        this.consumerConfig.putAll(consumerConfig);
    }

    /**
     * Brings the table up to date with the topic: the first call reads it from the start, later calls
     * read only what was appended since (one consumer kept for that), so what another replica wrote
     * becomes visible without re-reading the whole history every time.
     */
    public synchronized void reload() {
        try {
            if (consumer == null) {
                consumer = open();
            }
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
            if (consumer != null) { // start afresh next time: the table may have missed records
                consumer.close(Duration.ofSeconds(1));
                consumer = null;
                values.clear();
            }
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "cannot read " + topic, e);
        }
    }

    private KafkaConsumer<String, byte[]> open() {
        Properties props = new Properties();
        props.putAll(consumerConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, byte[]> opened =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            partitions = opened.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            opened.assign(partitions);
            opened.seekToBeginning(partitions);
            values.clear();
            return opened;
        } catch (RuntimeException e) {
            opened.close(Duration.ofSeconds(1));
            throw e;
        }
    }

    /** Closes the tailing consumer. */
    public synchronized void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(5));
            consumer = null;
        }
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public Map<String, String> all() {
        return Map.copyOf(values);
    }

    /** Records durably (acknowledged by the broker) before the caller moves on. */
    public void put(String key, String value) {
        send(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
    }

    private void send(String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "interrupted recording " + key + " in " + topic, e);
        } catch (Exception e) {
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "cannot record " + key + " in " + topic, e);
        }
    }
}
