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
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(BackplaneExtension.class)
class FleetRegistryTest {
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
        assertThatThrownBy(() -> ApplicationContext.run(Map.of("guardian.fleet.file", file.toString(),
                "guardian.fleet.topic.enabled", "false", "kafka.enabled", "false")))
                .hasStackTraceContaining("invalid fleet configuration in guardian.fleet.file=" + file)
                .hasStackTraceContaining("cluster 'beta': schedule.cron: 'bogus' is not a 5-field cron");
    }

    @Test
    void changesAtRunTimeFromTheFileAndTheTopic(@TempDir Path dir, Backplane backplane) throws Exception {
        Path file = Files.writeString(dir.resolve("fleet.yaml"), FLEET.formatted("0 * * * *", "0 1 * * *"));
        String extra = "gamma-" + UUID.randomUUID().toString().substring(0, 6);
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                "guardian.fleet.file", file.toString(),
                "guardian.fleet.reload-interval", "100ms",
                "kafka.bootstrap.servers", backplane.kafka().bootstrapServers()))) {
            FleetRegistry registry = context.getBean(FleetRegistry.class);
            assertThat(registry.current().clusters()).containsKeys("alpha", "beta");

            // alpha changes, beta becomes invalid: alpha is applied, beta keeps its last valid spec
            Files.writeString(file, FLEET.formatted("*/5 * * * *", "not a cron"));
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.require("alpha").schedule().cron().equals("*/5 * * * *"));
            assertThat(registry.require("beta").schedule().cron()).isEqualTo("0 1 * * *");

            // a cluster added through the compacted topic, with the file's defaults, then removed by a tombstone
            try (KafkaProducer<String, byte[]> producer = producer(backplane)) {
                producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, extra,
                        ("{\"id\":\"" + extra + "\",\"etcd\":{\"endpoints\":[\"http://127.0.0.1:2379\"]}}")
                                .getBytes(StandardCharsets.UTF_8))).get();
                await().atMost(Duration.ofSeconds(20)).until(() -> registry.find(extra).isPresent());
                assertThat(registry.require(extra).store().bucket()).isEqualTo("etcd-snapshots");

                producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, extra, "{\"id\": 42".getBytes())).get();
                producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, extra, null)).get();
                await().atMost(Duration.ofSeconds(20)).until(() -> registry.find(extra).isEmpty());
            }
            assertThat(registry.current().clusters()).containsKeys("alpha", "beta");
        }
    }

    private static KafkaProducer<String, byte[]> producer(Backplane backplane) {
        Properties props = new Properties();
        props.put("bootstrap.servers", backplane.kafka().bootstrapServers());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
}
