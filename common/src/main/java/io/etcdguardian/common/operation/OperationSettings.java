package io.etcdguardian.common.operation;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code guardian.operation.*}: how long an operation's lease lasts without renewal — how soon another
 * replica may take over the work of one that died.
 */
@ConfigurationProperties("guardian.operation")
public record OperationSettings(
        @Bindable(defaultValue = "30s") Duration leaseTtl) {

    public OperationSettings {
        // renewed at a third of it: shorter than a few seconds, a slow store call loses the lease
        if (leaseTtl.compareTo(Duration.ofSeconds(3)) < 0) {
            throw new IllegalArgumentException("guardian.operation.lease-ttl: must be at least 3s");
        }
    }
}
