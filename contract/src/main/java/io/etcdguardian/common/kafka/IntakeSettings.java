package io.etcdguardian.common.kafka;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code guardian.intake.*}: how often a request whose work failed retriably is tried before its
 * dead letter, and the first pause between tries (doubling).
 */
@ConfigurationProperties("guardian.intake")
public record IntakeSettings(
        @Bindable(defaultValue = "4") int maxAttempts,
        @Bindable(defaultValue = "500ms") Duration initialBackoff) {

    public IntakeSettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("guardian.intake.max-attempts: must be at least 1");
        }
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("guardian.intake.initial-backoff: must be positive");
        }
    }
}
