package io.etcdguardian.common.progress;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;

/**
 * Lets progress through at most once per interval: a byte loop calls {@link #due()} on every
 * buffer, and a fleet's backplane sees one progress event per running operation per interval, not
 * one per buffer.
 */
public final class ProgressRate {
    private final RateLimiter limiter;

    public ProgressRate(String name, Duration interval) {
        this.limiter = RateLimiter.of(
                name,
                RateLimiterConfig.custom()
                        .limitForPeriod(1)
                        .limitRefreshPeriod(interval)
                        .timeoutDuration(Duration.ZERO)
                        .build());
        limiter.acquirePermission(); // the first report comes one interval in: the STARTED event said "0"
    }

    /** True at most once per interval; never waits. */
    public boolean due() {
        return limiter.acquirePermission();
    }
}
