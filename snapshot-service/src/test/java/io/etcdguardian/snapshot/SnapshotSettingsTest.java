package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A bad setting stops the service at start-up, naming the key and the reason; the defaults hold. */
class SnapshotSettingsTest {
    /** Only the settings: no broker to create topics on (its consumers try a port nothing listens on). */
    private static final Map<String, Object> OFFLINE =
            Map.of("guardian.topics.create", "false", "kafka.bootstrap.servers", "127.0.0.1:1");

    @Test
    void theDefaultsComeFromOneHome() {
        try (ApplicationContext context = ApplicationContext.run(OFFLINE)) {
            SnapshotSettings settings = context.getBean(SnapshotSettings.class);
            assertThat(settings.group())
                    .as("application.yml's, which the listener's groupId reads too")
                    .isEqualTo("snapshot-service");
            assertThat(settings.orphanAge()).isEqualTo(Duration.ofHours(24));
            assertThat(settings.uploadStreams()).isEqualTo(4);
        }
    }

    @Test
    void withoutKafkaBootstrapServersTheBrokerIsTheLocalOne() {
        try (ApplicationContext context = ApplicationContext.builder().build()) {
            var environment = context.getEnvironment().start();
            assertThat(environment.getProperty("kafka.bootstrap.servers", String.class))
                    .as("a default with a colon, read whole")
                    .hasValue(System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"));
        }
    }

    @Test
    void aBadSettingNamesItsKeyAndReason() {
        assertThatThrownBy(() -> bind(Map.of("guardian.snapshot.orphan-age", "0s")))
                .hasStackTraceContaining("guardian.snapshot.orphan-age: must be positive");
        assertThatThrownBy(() -> bind(Map.of("guardian.snapshot.group", " ")))
                .hasStackTraceContaining("guardian.snapshot.group: must name the consumer group");
        assertThatThrownBy(() -> bind(Map.of("guardian.snapshot.upload-streams", "0")))
                .hasStackTraceContaining("guardian.snapshot.upload-streams: must be 1..64");
    }

    private static void bind(Map<String, Object> properties) {
        Map<String, Object> all = new java.util.HashMap<>(OFFLINE);
        all.putAll(properties);
        try (ApplicationContext context = ApplicationContext.run(all)) {
            context.getBean(SnapshotSettings.class);
        }
    }
}
