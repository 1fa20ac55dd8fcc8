package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.restore.config.RestoreSettings;
import io.micronaut.context.ApplicationContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A bad setting stops the service at start-up, naming the key and the reason; the defaults hold. */
class RestoreSettingsTest {
    /** Only the settings: no broker to create topics on (its consumers try a port nothing listens on). */
    private static final Map<String, Object> OFFLINE =
            Map.of("guardian.topics.create", "false", "kafka.bootstrap.servers", "127.0.0.1:1");

    @Test
    void theDefaultsComeFromOneHome() {
        try (ApplicationContext context = ApplicationContext.run(OFFLINE)) {
            RestoreSettings settings = context.getBean(RestoreSettings.class);
            assertThat(settings.group())
                    .as("application.yml's, which the listener's groupId reads too")
                    .isEqualTo("restore-service");
        }
    }

    @Test
    void aBadSettingNamesItsKeyAndReason() {
        assertThatThrownBy(() -> bind(Map.of("guardian.restore.group", " ")))
                .hasStackTraceContaining("guardian.restore.group: must name the consumer group");
    }

    private static void bind(Map<String, Object> properties) {
        Map<String, Object> all = new java.util.HashMap<>(OFFLINE);
        all.putAll(properties);
        try (ApplicationContext context = ApplicationContext.run(all)) {
            context.getBean(RestoreSettings.class);
        }
    }
}
