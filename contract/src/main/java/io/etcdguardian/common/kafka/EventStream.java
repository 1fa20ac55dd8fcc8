package io.etcdguardian.common.kafka;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.etcdguardian.common.event.EventCatalog;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A client's view of the backplane (guardianctl, tests): publish a request, then follow a topic from
 * the moment before it was published until an event matches, so that a fast answer is never missed.
 */
public final class EventStream implements AutoCloseable {
    private final String bootstrap;
    private final Map<String, String> security;
    private final KafkaProducer<String, byte[]> producer;

    public EventStream(String bootstrap) {
        this(bootstrap, Map.of());
    }

    /**
     * {@code client}: Kafka client settings every client opened here gets — security.protocol,
     * sasl.*, ssl.* — so a secured broker is reached by the producer, the followers and the admin alike.
     */
    public EventStream(String bootstrap, Map<String, String> client) {
        this.bootstrap = bootstrap;
        this.security = Map.copyOf(client);
        Properties props = clientProperties();
        props.put("acks", "all");
        props.put("max.block.ms", "10000");
        props.put("delivery.timeout.ms", "15000");
        props.put("request.timeout.ms", "10000");
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /** Follows {@code topic} from its current end. Open it before publishing what it should see. */
    public Follower follow(String topic) {
        return new Follower(consumerAtEnd(topic));
    }

    /**
     * Watches the dead-letter topic from its current end, so that a request a service refused (an
     * unknown cluster, an invalid field) is reported as refused instead of waited for until a timeout.
     */
    public DeadLetterWatch watchDeadLetters() {
        return new DeadLetterWatch(consumerAtEnd(Topics.DEAD_LETTER));
    }

    /**
     * The settings of a service's Kafka configuration that say how to reach and authenticate to the
     * brokers (security.protocol, sasl.*, ssl.*): what a client opened outside micronaut-kafka needs.
     */
    public static Map<String, String> securitySettings(Map<?, ?> config) {
        Map<String, String> security = new HashMap<>();
        config.forEach((key, value) -> {
            String name = String.valueOf(key);
            if (value != null
                    && (name.equals("security.protocol") || name.startsWith("sasl.") || name.startsWith("ssl."))) {
                security.put(name, String.valueOf(value));
            }
        });
        return security;
    }

    private Properties clientProperties() {
        Properties props = new Properties();
        props.putAll(security);
        props.put("bootstrap.servers", bootstrap);
        return props;
    }

    private KafkaConsumer<String, byte[]> consumerAtEnd(String topic) {
        Properties props = clientProperties();
        // no group: followers are assigned and seek themselves, so they need no group ACL and leave no group behind
        props.put("enable.auto.commit", "false");
        props.put("default.api.timeout.ms", "10000");
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            // a topic that a service has not created yet has no partitions: wait a little for it
            List<TopicPartition> partitions = List.of();
            Instant deadline = Instant.now().plusSeconds(30);
            while (partitions.isEmpty()) {
                partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
                if (partitions.isEmpty()) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new GuardianException(
                                Reason.KAFKA_UNAVAILABLE,
                                "topic " + topic + " does not exist on " + bootstrap
                                        + " (no service has created it yet?)");
                    }
                    Thread.sleep(200);
                }
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        } catch (InterruptedException e) {
            consumer.close();
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "interrupted", e);
        } catch (GuardianException e) {
            consumer.close();
            throw e;
        } catch (RuntimeException e) {
            consumer.close();
            throw failure("cannot read " + topic + " from Kafka at " + bootstrap, e);
        }
        return consumer;
    }

    /**
     * Members of a consumer group right now: 0 means no replica of the service that reads with it is
     * running (a request published now would wait on its topic until one starts).
     */
    public int consumers(String group) {
        Properties props = clientProperties();
        props.put("default.api.timeout.ms", "10000");
        props.put("request.timeout.ms", "10000");
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            return admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get(10, java.util.concurrent.TimeUnit.SECONDS)
                    .members()
                    .size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "interrupted", e);
        } catch (Exception e) {
            GuardianException denied =
                    failure("Kafka at " + bootstrap + " did not describe consumer group " + group, e);
            if (denied.reason() == Reason.KAFKA_ACCESS_DENIED) {
                throw denied;
            }
            throw new GuardianException(
                    Reason.KAFKA_UNAVAILABLE,
                    "Kafka at " + bootstrap + " did not describe consumer" + " group " + group + " within 10s ("
                            + e.getClass().getSimpleName() + ")",
                    e);
        }
    }

    public CloudEvent publish(String source, GuardianEvent data) {
        return publish(EventEnvelope.wrap(source, data));
    }

    public CloudEvent publish(CloudEvent event) {
        GuardianEvent data = EventEnvelope.data(event);
        String topic = EventCatalog.of(data.getClass()).topic();
        ProducerRecord<String, byte[]> record =
                KafkaMessageFactory.createWriter(topic, data.clusterId()).writeBinary(event);
        try {
            producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.KAFKA_UNAVAILABLE, "interrupted", e);
        } catch (Exception e) {
            throw failure("cannot publish to " + topic + " on Kafka at " + bootstrap, e);
        }
        return event;
    }

    /**
     * A refusal (credentials, ACLs) is an answer, not an outage: it names what was refused and is not
     * worth retrying; anything else is Kafka being unreachable.
     */
    private static GuardianException failure(String what, Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.apache.kafka.common.errors.AuthenticationException
                    || cause instanceof org.apache.kafka.common.errors.AuthorizationException) {
                return new GuardianException(
                        Reason.KAFKA_ACCESS_DENIED,
                        what + ": refused (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")",
                        e);
            }
        }
        return new GuardianException(Reason.KAFKA_UNAVAILABLE, what, e);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /** The reasons services gave for dead-lettering records, by the CloudEvent id the record carried. */
    public static final class DeadLetterWatch implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final Map<String, String> reasons = new HashMap<>();

        DeadLetterWatch(KafkaConsumer<String, byte[]> consumer) {
            this.consumer = consumer;
        }

        /** Why the request with this event id was dead-lettered, if it was (so far): reads what has arrived. */
        public Optional<String> reasonFor(String eventId) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                Header id = record.headers().lastHeader("ce_id");
                Header reason = record.headers().lastHeader(DeadLetters.HEADER_PREFIX + "reason");
                if (id != null && reason != null) {
                    reasons.put(
                            new String(id.value(), StandardCharsets.UTF_8),
                            new String(reason.value(), StandardCharsets.UTF_8));
                }
            }
            return Optional.ofNullable(reasons.get(eventId));
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Reads events of one topic as they arrive; events no await has taken yet stay for the next one. */
    public static final class Follower implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final java.util.LinkedList<GuardianEvent> unclaimed = new java.util.LinkedList<>();

        Follower(KafkaConsumer<String, byte[]> consumer) {
            this.consumer = consumer;
        }

        /** One poll's events, in arrival order; a record that is not an event of ours is skipped. */
        private List<GuardianEvent> pollReadable() {
            List<GuardianEvent> events = new java.util.ArrayList<>();
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(250))) {
                try {
                    events.add(EventEnvelope.data(
                            KafkaMessageFactory.createReader(record).toEvent()));
                } catch (RuntimeException unreadable) {
                    // not ours to judge: the services dead-letter it
                }
            }
            return events;
        }

        /** The first event (in arrival order) whose data matches, or empty when the deadline passes. */
        public Optional<GuardianEvent> await(Predicate<GuardianEvent> match, Duration timeout) {
            for (var it = unclaimed.iterator(); it.hasNext(); ) {
                GuardianEvent seen = it.next();
                if (match.test(seen)) {
                    it.remove();
                    return Optional.of(seen);
                }
            }
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                Optional<GuardianEvent> found = Optional.empty();
                for (GuardianEvent data : pollReadable()) {
                    if (found.isEmpty() && match.test(data)) {
                        found = Optional.of(data);
                    } else {
                        unclaimed.add(data);
                    }
                }
                if (found.isPresent()) {
                    return found;
                }
            }
            return Optional.empty();
        }

        /**
         * Every event up to and including the first that matches {@code last}, in arrival order (events
         * of one cluster arrive in the order they were published); empty when the deadline passes first.
         */
        public List<GuardianEvent> until(Predicate<GuardianEvent> last, Duration timeout) {
            List<GuardianEvent> seen = new java.util.ArrayList<>();
            while (!unclaimed.isEmpty()) { // what earlier awaits left, in arrival order, is taken too
                GuardianEvent event = unclaimed.removeFirst();
                seen.add(event);
                if (last.test(event)) {
                    return seen;
                }
            }
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                boolean found = false;
                for (GuardianEvent data : pollReadable()) {
                    if (found) {
                        unclaimed.add(data);
                    } else {
                        seen.add(data);
                        found = last.test(data);
                    }
                }
                if (found) {
                    return seen;
                }
            }
            return List.of();
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
