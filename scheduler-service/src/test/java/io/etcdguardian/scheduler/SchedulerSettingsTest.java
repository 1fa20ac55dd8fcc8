package io.etcdguardian.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.scheduler.config.SchedulerSettings;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A bad setting stops the service at start-up, naming the key and the reason; the defaults hold. */
class SchedulerSettingsTest {
    /** Only the settings: no broker to create topics on (its consumers try a port nothing listens on). */
    private static final Map<String, Object> OFFLINE =
            Map.of("guardian.topics.create", "false", "kafka.bootstrap.servers", "127.0.0.1:1");

    @Test
    void theLeaderElectionsSettingsLiveWithTheOthers() {
        try (ApplicationContext context = ApplicationContext.run(OFFLINE)) {
            SchedulerSettings settings = context.getBean(SchedulerSettings.class);
            assertThat(settings.leaderGroup()).isEqualTo("guardian-scheduler-leader");
            assertThat(settings.leaderSessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        }
    }

    @Test
    void aBadSettingNamesItsKeyAndReason() {
        assertThatThrownBy(() -> bind(Map.of("guardian.scheduler.leader-session-timeout", "100ms")))
                .hasStackTraceContaining("guardian.scheduler.leader-session-timeout: must be at least 1s");
        assertThatThrownBy(() -> bind(Map.of("guardian.scheduler.leader-group", "")))
                .hasStackTraceContaining("guardian.scheduler.leader-group: must name the consumer group");
        assertThatThrownBy(() -> bind(Map.of("guardian.scheduler.in-flight-timeout", "0s")))
                .hasStackTraceContaining("guardian.scheduler.in-flight-timeout: must be positive");
    }

    private static void bind(Map<String, Object> properties) {
        Map<String, Object> all = new java.util.HashMap<>(OFFLINE);
        all.putAll(properties);
        try (ApplicationContext context = ApplicationContext.run(all)) {
            context.getBean(SchedulerSettings.class);
        }
    }
}
