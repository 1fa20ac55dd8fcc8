package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.health.config.HealthSettings;
import io.micronaut.context.ApplicationContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A bad setting stops the service at start-up, naming the key and the reason; the defaults hold. */
class HealthSettingsTest {
    /** Only the settings: no broker to create topics on (its consumers try a port nothing listens on). */
    private static final Map<String, Object> OFFLINE =
            Map.of("guardian.topics.create", "false", "kafka.bootstrap.servers", "127.0.0.1:1");

    @Test
    void theDefaultsComeFromOneHome() {
        try (ApplicationContext context = ApplicationContext.run(OFFLINE)) {
            HealthSettings settings = context.getBean(HealthSettings.class);
            assertThat(settings.group())
                    .as("application.yml's, which the listener's groupId reads too")
                    .isEqualTo("health-service");
            assertThat(settings.alertClusterLabel()).isEqualTo("cluster");
            // the OpenShift rule: 100 MB and 45 % free, or 80 % of the quota
            assertThat(settings.defragMinDbBytes()).isEqualTo(100_000_000L);
            assertThat(settings.defragMinFragmentation()).isEqualTo(0.45);
            assertThat(settings.defragMaxQuotaUse()).isEqualTo(0.8);
        }
    }

    @Test
    void aBadSettingNamesItsKeyAndReason() {
        assertThatThrownBy(() -> bind(Map.of("guardian.health.alert-cluster-label", "cluster name")))
                .hasStackTraceContaining("guardian.health.alert-cluster-label: must be a Prometheus label name");
        assertThatThrownBy(() -> bind(Map.of("guardian.health.group", " ")))
                .hasStackTraceContaining("guardian.health.group: must name the consumer group");
    }

    private static void bind(Map<String, Object> properties) {
        Map<String, Object> all = new java.util.HashMap<>(OFFLINE);
        all.putAll(properties);
        try (ApplicationContext context = ApplicationContext.run(all)) {
            context.getBean(HealthSettings.class);
        }
    }
}
