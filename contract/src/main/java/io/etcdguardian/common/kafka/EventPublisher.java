package io.etcdguardian.common.kafka;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.etcdguardian.common.event.EventCatalog;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Publishes CloudEvents in binary mode to the topic their type belongs to, keyed by cluster id, and
 * waits for the broker's acknowledgement: callers publish after their effect is durable, so a
 * lost publish must be an error they see, not a silent drop.
 */
@Singleton
public class EventPublisher {
    private final Producer<String, byte[]> producer;
    private final String source;

    public EventPublisher(
            @KafkaClient(id = "guardian-events", acks = KafkaClient.Acknowledge.ALL) Producer<String, byte[]> producer,
            @Value("${micronaut.application.name:guardian}") String applicationName) {
        this.producer = producer;
        this.source = "/guardian/" + applicationName;
    }

    /** Publishes with a random id; use {@link #publish(String, GuardianEvent)} for replay-safe ids. */
    public CloudEvent publish(GuardianEvent data) {
        return send(EventEnvelope.wrap(source, data));
    }

    /** Publishes with the given id (e.g. {@link EventEnvelope#deterministicId}). */
    public CloudEvent publish(String id, GuardianEvent data) {
        return send(EventEnvelope.wrap(source, id, data));
    }

    /** How many partitions the broker has for {@code topic}. */
    public int partitionsOf(String topic) {
        return producer.partitionsFor(topic).size();
    }

    public CloudEvent send(CloudEvent event) {
        String topic = EventCatalog.byType(event.getType())
                .orElseThrow(() -> new IllegalArgumentException("unknown event type " + event.getType()))
                .topic();
        ProducerRecord<String, byte[]> record =
                KafkaMessageFactory.createWriter(topic, event.getSubject()).writeBinary(event);
        send(record);
        return event;
    }

    void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "cannot publish to " + record.topic(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(
                    Reason.KAFKA_UNAVAILABLE, "interrupted while publishing to " + record.topic(), e);
        }
    }
}
