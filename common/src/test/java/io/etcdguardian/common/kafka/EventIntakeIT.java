package io.etcdguardian.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(BackplaneExtension.class)
class EventIntakeIT {
    private final String cluster = "c-" + UUID.randomUUID().toString().substring(0, 8);
    private ApplicationContext context;
    private RecordingListener listener;
    private EventPublisher publisher;
    private String bootstrap;

    @BeforeEach
    void start(Backplane backplane) {
        bootstrap = backplane.kafka().bootstrapServers();
        context = ApplicationContext.run(Map.of(
                "spec.name", "EventIntakeIT",
                "micronaut.application.name", "intake-test",
                "kafka.bootstrap.servers", bootstrap,
                "test.group", "intake-" + UUID.randomUUID(),
                "guardian.intake.initial-backoff", "50ms"));
        listener = context.getBean(RecordingListener.class);
        publisher = context.getBean(EventPublisher.class);
    }

    @AfterEach
    void stop() {
        context.close();
    }

    @Test
    void roundTripsAnEventWithClusterKeyAndCloudEventHeaders() {
        CloudEvent sent = publisher.publish(request("nightly"));

        List<ConsumerRecord<String, byte[]>> records = readAll(Topics.BACKUP_REQUESTS, r -> cluster.equals(r.key()), 1);
        ConsumerRecord<String, byte[]> record = records.get(0);
        assertThat(record.key()).isEqualTo(cluster);
        assertThat(header(record, "ce_id")).isEqualTo(sent.getId());
        assertThat(header(record, "ce_type")).isEqualTo("io.etcdguardian.backup.requested.v1");
        assertThat(header(record, "ce_source")).isEqualTo("/guardian/intake-test");
        assertThat(header(record, "ce_subject")).isEqualTo(cluster);
        assertThat(header(record, "content-type")).isEqualTo("application/json");
        CloudEvent back = KafkaMessageFactory.createReader(record).toEvent();
        assertThat(EventEnvelope.data(back, BackupRequested.class)).isEqualTo(request("nightly"));

        await().atMost(Duration.ofSeconds(20)).until(() -> handledOf(cluster) == 1);
    }

    @Test
    void doesTheWorkOfADuplicatedIdOnce() {
        String id = UUID.randomUUID().toString();
        publisher.publish(id, request("first"));
        publisher.publish(id, request("first"));
        publisher.publish(request("second"));

        await().atMost(Duration.ofSeconds(20)).until(() -> handledOf(cluster) == 2);
        assertThat(listener.handled.stream()
                        .filter(e -> e.clusterId().equals(cluster))
                        .map(InboundEvent::id))
                .containsOnlyOnce(id)
                .doesNotHaveDuplicates();
    }

    @Test
    void sendsPoisonToTheDeadLetterTopicWithItsReasonAndKeepsConsuming() {
        try (KafkaProducer<String, byte[]> raw = rawProducer()) {
            raw.send(new ProducerRecord<>(
                    Topics.BACKUP_REQUESTS, cluster, "not a cloud event".getBytes(StandardCharsets.UTF_8)));
            // a CloudEvent whose data lacks the required trigger
            ProducerRecord<String, byte[]> missingField = KafkaMessageFactory.createWriter(
                            Topics.BACKUP_REQUESTS, cluster)
                    .writeBinary(EventEnvelope.wrap("/test", request("x")));
            ProducerRecord<String, byte[]> broken = new ProducerRecord<>(
                    missingField.topic(),
                    null,
                    cluster,
                    ("{\"clusterId\":\"" + cluster + "\"}").getBytes(StandardCharsets.UTF_8),
                    missingField.headers());
            raw.send(broken);
        }
        publisher.publish(request("poison"));
        publisher.publish(request("flaky"));
        publisher.publish(request("after"));

        await().atMost(Duration.ofSeconds(30)).until(() -> handledOf(cluster) == 2);
        assertThat(listener.handled.stream()
                        .filter(e -> e.clusterId().equals(cluster))
                        .map(e -> e.dataAs(BackupRequested.class).reason()))
                .containsExactly("flaky", "after");
        assertThat(listener.flakyAttempts).hasValue(3);

        List<ConsumerRecord<String, byte[]>> dead = readAll(Topics.DEAD_LETTER, r -> cluster.equals(r.key()), 3);
        assertThat(dead)
                .extracting(r -> header(r, "guardian.dlq.reason"))
                .containsExactly("INVALID_EVENT", "INVALID_EVENT", "PRECONDITION_FAILED");
        ConsumerRecord<String, byte[]> first = dead.get(0);
        assertThat(new String(first.value(), StandardCharsets.UTF_8)).isEqualTo("not a cloud event");
        assertThat(header(first, "guardian.dlq.topic")).isEqualTo(Topics.BACKUP_REQUESTS);
        assertThat(header(first, "guardian.dlq.partition")).matches("\\d+");
        assertThat(header(first, "guardian.dlq.offset")).matches("\\d+");
        assertThat(header(first, "guardian.dlq.group")).startsWith("intake-");
        assertThat(header(dead.get(1), "ce_type")).isEqualTo(BackupRequested.TYPE);
    }

    @Test
    void refusesIdsThatArePathsAndTextWithoutBounds() throws Exception {
        java.nio.file.Path victim = java.nio.file.Files.createTempDirectory("victim");
        java.nio.file.Files.writeString(victim.resolve("keep"), "precious");
        try (KafkaProducer<String, byte[]> raw = rawProducer()) {
            for (String id : List.of(victim.toString(), "../../etc", "a/b", "x".repeat(200), "nul\u0000id")) {
                raw.send(forged(id, request("path id")));
            }
            raw.send(forged(UUID.randomUUID().toString(), request("r".repeat(900 * 1024))));
        }
        publisher.publish(request("after"));

        await().atMost(Duration.ofSeconds(30)).until(() -> handledOf(cluster) == 1);
        List<ConsumerRecord<String, byte[]>> dead = readAll(Topics.DEAD_LETTER, r -> cluster.equals(r.key()), 6);
        assertThat(dead).extracting(r -> header(r, "guardian.dlq.reason")).containsOnly("INVALID_EVENT");
        assertThat(header(dead.get(0), "guardian.dlq.message"))
                .contains("event id")
                .contains("is not a valid id");
        assertThat(header(dead.get(5), "guardian.dlq.message")).contains("field 'reason' holds 921600 characters");
        assertThat(java.nio.file.Files.readString(victim.resolve("keep"))).isEqualTo("precious");
        assertThatThrownBy(() -> publisher.publish("/tmp/x", request("bad id")))
                .hasMessageContaining("is not a valid id");
    }

    /** A record as a hostile or broken producer would write it, past our own publisher's checks. */
    private ProducerRecord<String, byte[]> forged(String id, BackupRequested data) throws Exception {
        CloudEvent event = io.cloudevents.core.builder.CloudEventBuilder.v1()
                .withId(id)
                .withSource(java.net.URI.create("/forger"))
                .withType(BackupRequested.TYPE)
                .withSubject(cluster)
                .withDataContentType("application/json")
                .withData(io.etcdguardian.common.event.EventJson.MAPPER.writeValueAsBytes(data))
                .build();
        return KafkaMessageFactory.createWriter(Topics.BACKUP_REQUESTS, cluster).writeBinary(event);
    }

    private long handledOf(String clusterId) {
        return listener.handled.stream()
                .filter(e -> e.clusterId().equals(clusterId))
                .count();
    }

    private BackupRequested request(String reason) {
        return new BackupRequested(
                cluster, Trigger.ON_DEMAND, reason, "test", null, Instant.parse("2026-11-23T00:00:00Z"));
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return RawRecords.header(record, name);
    }

    private KafkaProducer<String, byte[]> rawProducer() {
        return RawRecords.producer(bootstrap);
    }

    private List<ConsumerRecord<String, byte[]>> readAll(
            String topic, java.util.function.Predicate<ConsumerRecord<String, byte[]>> filter, int expected) {
        return RawRecords.read(bootstrap, topic, filter, expected, Duration.ofSeconds(30));
    }
}
