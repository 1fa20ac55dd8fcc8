package io.etcdguardian.common.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.Topics;
import io.micronaut.context.ApplicationContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(BackplaneExtension.class)
class FleetRegistryIT {
    private static final String FLEET = """
            defaults:
              store: { bucket: etcd-snapshots }
            clusters:
              - id: alpha
                etcd: { endpoints: [http://127.0.0.1:2379] }
                schedule: { cron: "%s" }
              - id: beta
                etcd: { endpoints: [http://127.0.0.1:2379] }
                schedule: { cron: "%s" }
            """;

    @Test
    void failsAtStartupNamingEveryProblem(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("fleet.yaml"), FLEET.formatted("0 * * * *", "bogus"));
        assertThatThrownBy(() -> ApplicationContext.run(Map.of(
                        "guardian.fleet.file",
                        file.toString(),
                        "guardian.fleet.topic.enabled",
                        "false",
                        "kafka.enabled",
                        "false")))
                .hasStackTraceContaining("invalid fleet configuration in guardian.fleet.file=" + file)
                .hasStackTraceContaining("cluster 'beta': schedule.cron: 'bogus' is not a 5-field cron");
    }

    @Test
    void changesAtRunTimeFromTheFileAndTheTopic(@TempDir Path dir, Backplane backplane) throws Exception {
        Path file = Files.writeString(dir.resolve("fleet.yaml"), FLEET.formatted("0 * * * *", "0 1 * * *"));
        String extra = "gamma-" + UUID.randomUUID().toString().substring(0, 6);
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                        "guardian.fleet.file",
                        file.toString(),
                        "guardian.fleet.reload-interval",
                        "100ms",
                        "guardian.fleet.topic.enabled",
                        "true",
                        "kafka.bootstrap.servers",
                        backplane.kafka().bootstrapServers()));
                KafkaConsumer<String, byte[]> deadLetters = deadLetters(backplane)) {
            FleetRegistry registry = context.getBean(FleetRegistry.class);
            assertThat(registry.current().clusters()).containsKeys("alpha", "beta");

            // alpha changes, beta becomes invalid: alpha is applied, beta keeps its last valid spec
            Files.writeString(file, FLEET.formatted("*/5 * * * *", "not a cron"));
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.require("alpha").schedule().cron().equals("*/5 * * * *"));
            assertThat(registry.require("beta").schedule().cron()).isEqualTo("0 1 * * *");

            try (KafkaProducer<String, byte[]> producer = producer(backplane)) {
                // allowed keys of a file cluster: applied over the file's entry, the rest stays the file's
                send(producer, "beta", "{\"paused\": true, \"schedule\": {\"cron\": \"30 2 * * *\"}}");
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> registry.require("beta").isPaused());
                assertThat(registry.require("beta").schedule().cron()).isEqualTo("30 2 * * *");
                assertThat(registry.require("beta").etcd().endpoints()).containsExactly("http://127.0.0.1:2379");

                // the attack: a record pointing alpha's snapshots at another store, and one adding a cluster
                send(producer, "alpha", "{\"paused\": true, \"store\": {\"endpoint\": \"https://attacker.example\"}}");
                send(
                        producer,
                        extra,
                        "{\"id\":\"" + extra + "\",\"etcd\":{\"endpoints\":[\"http://127.0.0.1:2379\"]}}");
                Map<String, String> refused = new java.util.HashMap<>();
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    for (ConsumerRecord<String, byte[]> r : deadLetters.poll(Duration.ofMillis(200))) {
                        if (Topics.FLEET_CONFIG.equals(header(r, "topic"))) {
                            refused.put(r.key(), header(r, "reason") + ": " + header(r, "message"));
                        }
                    }
                    return refused.containsKey("alpha") && refused.containsKey(extra);
                });
                assertThat(refused.get("alpha"))
                        .startsWith("INVALID_CONFIG: ")
                        .contains("store: changes only through" + " the fleet file");
                assertThat(refused.get(extra)).contains("not in the fleet file");
                assertThat(registry.require("alpha").store().endpoint()).isNull();
                assertThat(registry.require("alpha").isPaused())
                        .as("nothing of a refused record applies")
                        .isFalse();
                assertThat(registry.find(extra)).isEmpty();

                // a tombstone drops the override: the file's spec again
                producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, "beta", null))
                        .get();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> !registry.require("beta").isPaused());
            }
            assertThat(registry.current().clusters()).containsKeys("alpha", "beta");
        }
    }

    @Test
    void theTopicIsOffUnlessEnabled(@TempDir Path dir, Backplane backplane) throws IOException {
        Path file = Files.writeString(dir.resolve("fleet.yaml"), FLEET.formatted("0 * * * *", "0 1 * * *"));
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                "guardian.fleet.file",
                file.toString(),
                "kafka.bootstrap.servers",
                backplane.kafka().bootstrapServers()))) {
            assertThat(context.containsBean(FleetTopicListener.class)).isFalse();
            assertThat(context.getBean(FleetRegistry.class).current().clusters())
                    .containsKeys("alpha", "beta");
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, key, value.getBytes(StandardCharsets.UTF_8)))
                .get();
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(io.etcdguardian.common.kafka.DeadLetters.HEADER_PREFIX + name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** The dead-letter topic from its current end. */
    private static KafkaConsumer<String, byte[]> deadLetters(Backplane backplane) {
        Properties props = new Properties();
        props.put("bootstrap.servers", backplane.kafka().bootstrapServers());
        props.put("group.id", "fleet-test-" + UUID.randomUUID());
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEAD_LETTER, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    private static KafkaProducer<String, byte[]> producer(Backplane backplane) {
        Properties props = new Properties();
        props.put("bootstrap.servers", backplane.kafka().bootstrapServers());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
}
