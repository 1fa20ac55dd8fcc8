package io.etcdguardian.common.kafka;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code guardian.idempotency.*}: how many handled event ids a replica remembers, and for how long —
 * longer than a redelivery can come late.
 */
@ConfigurationProperties("guardian.idempotency")
public record IdempotencySettings(
        @Bindable(defaultValue = "100000") int capacity,
        @Bindable(defaultValue = "24h") Duration ttl) {

    public IdempotencySettings {
        if (capacity < 1) {
            throw new IllegalArgumentException("guardian.idempotency.capacity: must be at least 1");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("guardian.idempotency.ttl: must be positive");
        }
    }
}
