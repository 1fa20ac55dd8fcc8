package io.etcdguardian.common.kafka;

import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that could not be parsed or handled to the dead-letter topic, unchanged (key,
 * value, headers, timestamp), with where it came from and why in {@code guardian.dlq.*} headers.
 * Only the reason and the exception class go into headers: exception messages may quote input.
 */
@Singleton
public class DeadLetters {
    public static final String HEADER_PREFIX = "guardian.dlq.";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    /** Of a refused HTTP body, what is kept: well under Kafka's default record limit with the headers. */
    static final int MAX_KEPT_BODY = 256 * 1024;

    private final EventPublisher publisher;
    private final MeterRegistry meters;

    public DeadLetters(EventPublisher publisher, @Nullable MeterRegistry meters) {
        this.publisher = publisher;
        this.meters = meters;
    }

    public void send(ConsumerRecord<String, byte[]> failed, String group, Reason reason, Throwable cause) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(
                Topics.DEAD_LETTER,
                null,
                failed.timestamp() >= 0 ? failed.timestamp() : null,
                failed.key(),
                failed.value());
        for (Header header : failed.headers()) {
            record.headers().add(header);
        }
        header(record, "topic", failed.topic());
        header(record, "partition", Integer.toString(failed.partition()));
        header(record, "offset", Long.toString(failed.offset()));
        header(record, "group", group);
        header(record, "reason", reason.name());
        header(record, "exception.class", cause == null ? "" : cause.getClass().getName());
        header(record, "message", message(cause));
        // a lost dead letter loses the input: let the failure reach the listener, which will not commit
        publisher.send(record);
        if (meters != null) {
            meters.counter("guardian.deadletters", "topic", failed.topic(), "reason", reason.name())
                    .increment();
        }
        LOG.warn(
                "dead-lettered {}-{}@{} (group {}): {}",
                failed.topic(),
                failed.partition(),
                failed.offset(),
                group,
                reason);
    }

    /**
     * Input that came in over HTTP and was refused (a malformed webhook payload, an alert for an
     * unknown cluster): kept on the dead-letter topic with where it came from and why, so nothing
     * sent to the service is lost even when the answer was a 4xx.
     */
    public void rejected(String endpoint, String key, byte[] payload, Reason reason) {
        // a request body may be larger than a Kafka record may (1 MiB by default): keep its head and its size
        boolean cut = payload.length > MAX_KEPT_BODY;
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(
                Topics.DEAD_LETTER, key, cut ? java.util.Arrays.copyOf(payload, MAX_KEPT_BODY) : payload);
        header(record, "topic", "http:" + endpoint);
        header(record, "reason", reason.name());
        if (cut) {
            header(record, "truncated-from", Integer.toString(payload.length));
        }
        publisher.send(record);
        if (meters != null) {
            meters.counter("guardian.deadletters", "topic", "http:" + endpoint, "reason", reason.name())
                    .increment();
        }
        LOG.warn("refused input on {} kept as a dead letter: {}", endpoint, reason);
    }

    /** What went wrong, in words, bounded: a dead letter's reader should not need the service's logs. */
    static String message(Throwable cause) {
        String message = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
        return message.length() > 1024 ? message.substring(0, 1024) + "…" : message;
    }

    private static void header(ProducerRecord<String, byte[]> record, String name, String value) {
        record.headers().add(HEADER_PREFIX + name, value.getBytes(StandardCharsets.UTF_8));
    }
}
