package io.etcdguardian.common.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fleet's settings: the topic's allowed keys default to what an operator tunes, and a typo stops the start-up. */
class FleetSettingsTest {
    private static final Map<String, Object> OFFLINE =
            Map.of("kafka.enabled", "false", "guardian.topics.create", "false");

    @Test
    void theTopicMayTuneWhatAnOperatorTunesUnlessToldOtherwise() {
        try (ApplicationContext context = ApplicationContext.run(OFFLINE)) {
            FleetSettings settings = context.getBean(FleetSettings.class);
            assertThat(settings.file()).isNull();
            assertThat(settings.topicKeys()).containsExactly("paused", "schedule", "retention", "slo");
        }
        try (ApplicationContext context = ApplicationContext.run(with("guardian.fleet.topic.allowed-keys", "*"))) {
            assertThat(context.getBean(FleetSettings.class).topicKeys()).containsExactly("*");
        }
    }

    @Test
    void anUnknownAllowedKeyNamesTheSettingAndTheKeys() {
        assertThatThrownBy(() -> {
                    try (ApplicationContext context =
                            ApplicationContext.run(with("guardian.fleet.topic.allowed-keys", "paused,shedule"))) {
                        context.getBean(FleetSettings.class);
                    }
                })
                .hasStackTraceContaining("guardian.fleet.topic.allowed-keys: 'shedule' is not a key of a cluster");
    }

    private static Map<String, Object> with(String key, String value) {
        Map<String, Object> all = new java.util.HashMap<>(OFFLINE);
        all.put(key, value);
        return all;
    }
}
