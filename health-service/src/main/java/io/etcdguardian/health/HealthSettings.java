package io.etcdguardian.health;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/** {@code guardian.health.*}. */
@ConfigurationProperties("guardian.health")
public record HealthSettings(
        @Bindable(defaultValue = "10s") Duration pollInterval,
        @Bindable(defaultValue = "60s") Duration settle,
        @Bindable(defaultValue = "60s") Duration memberTimeoutBase,
        @Bindable(defaultValue = "20000000") long memberTimeoutBytesPerSecond,
        @Bindable(defaultValue = "0") long keepRevisions,
        @Bindable(defaultValue = "0.9") double disarmBelowQuotaRatio,
        @Bindable(defaultValue = "2") int memberAttempts) {

    /** A defrag rewrites the whole database: its timeout grows with the size, as the snapshot's does. */
    public Duration memberTimeout(long dbSize) {
        return memberTimeoutBase.plusMillis(dbSize * 1000 / memberTimeoutBytesPerSecond);
    }
}
