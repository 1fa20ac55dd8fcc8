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
        // 0: from the heap (1/32 of -Xmx, 1..16 MiB): a commit holds about three copies of a segment
        @Bindable(defaultValue = "0") long segmentBytes,
        // received and not committed yet (the store slow or down), by all of this replica's writers together;
        // past it the writer that brings more stops and resumes from the store later. 0: a quarter of -Xmx
        @Bindable(defaultValue = "0") long maxBufferedBytes,
        // after a failed watch or commit, before the next attempt
        @Bindable(defaultValue = "2s") Duration retryBackoff,
        // segments this replica commits at once, over all its clusters
        @Bindable(defaultValue = "4") int commitThreads,
        // how often each writer asks etcd whether it is still the history it watches (a restore starts another)
        @Bindable(defaultValue = "5s") Duration historyCheckInterval,
        // how often each writer puts what its journal covers into the fleet catalogue (and at every start)
        @Bindable(defaultValue = "10s") Duration catalogInterval,
        // every second of this window stays restorable: older segments go once a snapshot before the window
        // can start every point in it (retention runs, whatever the clusters' snapshot policies say)
        @Bindable(defaultValue = "7d") Duration retention) {

    public JournalSettings {
        require(segmentInterval.compareTo(Duration.ofMillis(100)) >= 0, "segment-interval", "must be at least 100ms");
        long heap = Runtime.getRuntime().maxMemory();
        segmentBytes = segmentBytes > 0 ? segmentBytes : Math.max(1L << 20, Math.min(16L << 20, heap / 32));
        maxBufferedBytes = maxBufferedBytes > 0 ? maxBufferedBytes : heap / 4;
        require(segmentBytes >= 1 << 20, "segment-bytes", "must be at least 1 MiB (or 0: from the heap)");
        require(
                maxBufferedBytes >= 2 * segmentBytes,
                "max-buffered-bytes",
                "must be at least twice segment-bytes (or 0: from the heap)");
        require(!retryBackoff.isNegative(), "retry-backoff", "must not be negative");
        require(commitThreads >= 1 && commitThreads <= 64, "commit-threads", "must be 1..64");
        require(
                historyCheckInterval.compareTo(Duration.ofMillis(100)) >= 0,
                "history-check-interval",
                "must be at least 100ms");
        require(retention.compareTo(Duration.ofSeconds(1)) >= 0, "retention", "must be at least 1s");
    }

    private static void require(boolean ok, String property, String reason) {
        if (!ok) {
            throw new IllegalArgumentException("guardian.journal." + property + ": " + reason);
        }
    }
}
