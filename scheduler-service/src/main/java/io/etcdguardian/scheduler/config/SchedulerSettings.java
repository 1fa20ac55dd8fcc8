package io.etcdguardian.scheduler.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/** {@code guardian.scheduler.*}. */
@ConfigurationProperties("guardian.scheduler")
public record SchedulerSettings(
        @Bindable(defaultValue = "24h") Duration minClusterAge,
        @Bindable(defaultValue = "6h") Duration inFlightTimeout,
        @Bindable(defaultValue = "true") boolean beforeDefrag,
        @Bindable(defaultValue = "true") boolean afterUpgrade,
        // one group per fleet's schedulers: its single partition's owner leads
        @Bindable(defaultValue = "guardian-scheduler-leader")
        String leaderGroup,
        // how soon another replica leads after the leader died (Kafka's session timeout: 6s..5m by default)
        @Bindable(defaultValue = "10s") Duration leaderSessionTimeout) {

    public SchedulerSettings {
        require(!minClusterAge.isNegative(), "min-cluster-age", "must not be negative");
        require(!inFlightTimeout.isNegative() && !inFlightTimeout.isZero(), "in-flight-timeout", "must be positive");
        require(leaderGroup != null && !leaderGroup.isBlank(), "leader-group", "must name the consumer group");
        require(
                leaderSessionTimeout.compareTo(Duration.ofSeconds(1)) >= 0,
                "leader-session-timeout",
                "must be at least 1s");
    }

    private static void require(boolean ok, String key, String reason) {
        if (!ok) {
            throw new IllegalArgumentException("guardian.scheduler." + key + ": " + reason);
        }
    }
}
