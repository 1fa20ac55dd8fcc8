package io.etcdguardian.common.kafka;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers which event ids a consumer group has handled, so that a redelivered or republished
 * event does its work once. It is bounded and forgets after a while; effects that must survive a
 * restart are made idempotent against durable state as well (a committed manifest, a recorded
 * restore step), which is where the services check first.
 */
@Singleton
public class IdempotencyGuard {
    private final int capacity;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Instant> handled;

    @Inject
    public IdempotencyGuard(IdempotencySettings settings) {
        this(settings.capacity(), settings.ttl(), Clock.systemUTC());
    }

    IdempotencyGuard(int capacity, Duration ttl, Clock clock) {
        this.capacity = capacity;
        this.ttl = ttl;
        this.clock = clock;
        this.handled = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
                return size() > IdempotencyGuard.this.capacity;
            }
        };
    }

    public synchronized boolean alreadyHandled(String group, String id) {
        Instant at = handled.get(group + '/' + id);
        return at != null && at.plus(ttl).isAfter(clock.instant());
    }

    public synchronized void markHandled(String group, String id) {
        handled.put(group + '/' + id, clock.instant());
    }
}
