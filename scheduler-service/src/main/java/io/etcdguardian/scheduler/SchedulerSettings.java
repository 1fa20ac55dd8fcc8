package io.etcdguardian.scheduler;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/** {@code guardian.scheduler.*}. */
@ConfigurationProperties("guardian.scheduler")
public record SchedulerSettings(
        @Bindable(defaultValue = "24h") Duration minClusterAge,
        @Bindable(defaultValue = "6h") Duration inFlightTimeout,
        @Bindable(defaultValue = "true") boolean beforeDefrag,
        @Bindable(defaultValue = "true") boolean afterUpgrade) {
}
