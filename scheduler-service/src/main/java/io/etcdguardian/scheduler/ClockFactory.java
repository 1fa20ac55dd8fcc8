package io.etcdguardian.scheduler;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Secondary;
import jakarta.inject.Singleton;
import java.time.Clock;

/** The scheduler's notion of now; tests supply a clock they move by hand. */
@Factory
public class ClockFactory {
    @Singleton
    @Secondary
    Clock clock() {
        return Clock.systemUTC();
    }
}
