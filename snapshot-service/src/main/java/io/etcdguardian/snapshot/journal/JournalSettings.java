package io.etcdguardian.snapshot.journal;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code guardian.journal.*}: the continuous backup. Off unless enabled; then every cluster this replica
 * owns is watched, and its changes committed to the store every {@code segment-interval}.
 */
@ConfigurationProperties("guardian.journal")
public record JournalSettings(
        @Bindable(defaultValue = "false") boolean enabled,
        // a segment closes after this long, or at segment-bytes, whichever comes first: the recovery point
        @Bindable(defaultValue = "2s") Duration segmentInterval,
        @Bindable(defaultValue = "16777216") long segmentBytes,
        // received but not committed (the store down): past this the watch stops and resumes from the store later
        @Bindable(defaultValue = "268435456") long maxBufferedBytes,
        // after a failed watch or commit, before the next attempt
        @Bindable(defaultValue = "2s") Duration retryBackoff,
        // segments this replica commits at once, over all its clusters
        @Bindable(defaultValue = "4") int commitThreads,
        // how often each writer asks etcd whether it is still the history it watches (a restore starts another)
        @Bindable(defaultValue = "5s") Duration historyCheckInterval,
        // how often each writer puts what its journal covers into the fleet catalogue (and at every start)
        @Bindable(defaultValue = "10s") Duration catalogInterval) {

    public JournalSettings {
        require(segmentInterval.compareTo(Duration.ofMillis(100)) >= 0, "segment-interval", "must be at least 100ms");
        require(segmentBytes >= 1 << 20, "segment-bytes", "must be at least 1 MiB");
        require(maxBufferedBytes >= 2 * segmentBytes, "max-buffered-bytes", "must be at least twice segment-bytes");
        require(!retryBackoff.isNegative(), "retry-backoff", "must not be negative");
        require(commitThreads >= 1 && commitThreads <= 64, "commit-threads", "must be 1..64");
        require(
                historyCheckInterval.compareTo(Duration.ofMillis(100)) >= 0,
                "history-check-interval",
                "must be at least 100ms");
    }

    private static void require(boolean ok, String property, String reason) {
        if (!ok) {
            throw new IllegalArgumentException("guardian.journal." + property + ": " + reason);
        }
    }
}
