package io.etcdguardian.common.kafka;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every listener does with a record before its own work: parse the CloudEvent and its data,
 * drop an id the group has handled already, put cluster and operation in the MDC, retry retriable
 * failures with backoff, and send what cannot be parsed or handled to the dead-letter topic. It
 * never throws for bad input, so a poison message cannot stop a consumer.
 */
@Singleton
public class EventIntake {
    private static final Logger LOG = LoggerFactory.getLogger(EventIntake.class);

    private final IdempotencyGuard guard;
    private final DeadLetters deadLetters;
    private final RetryConfig retryConfig;

    public EventIntake(IdempotencyGuard guard, DeadLetters deadLetters, IntakeSettings settings) {
        int maxAttempts = settings.maxAttempts();
        Duration initialBackoff = settings.initialBackoff();
        this.guard = guard;
        this.deadLetters = deadLetters;
        this.retryConfig = RetryConfig.custom()
                .maxAttempts(maxAttempts)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(initialBackoff, 2.0))
                .retryOnException(GuardianException::isRetriable)
                .build();
    }

    public void accept(ConsumerRecord<String, byte[]> record, String group, Consumer<InboundEvent> handler) {
        InboundEvent event;
        try {
            event = parse(record);
        } catch (RuntimeException e) {
            LOG.warn(
                    "unreadable record {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            deadLetters.send(
                    record,
                    group,
                    GuardianException.reasonOf(e) == Reason.INTERNAL
                            ? Reason.INVALID_EVENT
                            : GuardianException.reasonOf(e),
                    e);
            return;
        }
        if (guard.alreadyHandled(group, event.id())) {
            LOG.debug("event {} already handled by {}, skipping", event.id(), group);
            return;
        }
        OperationContext context = OperationContext.open(
                event.clusterId(), event.id(), event.envelope().getType());
        try {
            Retry retry = Retry.of(group + "/" + event.id(), retryConfig);
            retry.executeRunnable(() -> handler.accept(event));
            guard.markHandled(group, event.id());
        } catch (RuntimeException e) {
            Reason reason = GuardianException.reasonOf(e);
            LOG.error(
                    "event {} ({}) failed for cluster {}: {}: {}",
                    event.id(),
                    event.envelope().getType(),
                    event.clusterId(),
                    reason,
                    e.getMessage(),
                    reason == Reason.INTERNAL ? e : null);
            deadLetters.send(record, group, reason, e);
        } finally {
            context.close();
        }
    }

    static InboundEvent parse(ConsumerRecord<String, byte[]> record) {
        CloudEvent envelope;
        try {
            envelope = KafkaMessageFactory.createReader(record).toEvent();
        } catch (RuntimeException e) {
            throw new GuardianException(Reason.INVALID_EVENT, "not a CloudEvent: " + e.getMessage(), e);
        }
        GuardianEvent data = EventEnvelope.data(envelope);
        if (record.key() != null && !record.key().equals(data.clusterId())) {
            throw new GuardianException(
                    Reason.INVALID_EVENT,
                    "record key '" + record.key() + "' differs from cluster '" + data.clusterId() + "'");
        }
        return new InboundEvent(
                envelope, data, record.topic(), record.partition(), record.offset(), record.timestamp());
    }
}
