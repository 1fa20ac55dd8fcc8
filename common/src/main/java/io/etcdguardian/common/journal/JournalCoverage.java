package io.etcdguardian.common.journal;

import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * What a cluster's journal makes restorable, for the fleet catalogue and {@code guardianctl status}:
 * every revision from {@code fromRevision} (a snapshot the journal follows without a hole; -1: none yet)
 * to {@code toRevision} (the last committed, received at {@code lastArrival}), in {@code epoch}; and the
 * gaps no snapshot has closed yet ({@code from-to}: a restore needs a snapshot taken after them).
 */
public record JournalCoverage(
        String clusterId,
        String epoch,
        long fromRevision,
        long toRevision,
        Instant lastArrival,
        List<String> openGaps,
        Instant at) {

    public JournalCoverage {
        openGaps = openGaps == null ? List.of() : List.copyOf(openGaps);
    }

    /** From the epoch's snapshots, segments and gaps as the store lists them. */
    public static JournalCoverage of(
            String clusterId,
            JournalEpoch epoch,
            List<SnapshotManifest> snapshots,
            List<JournalKeys.Range> segments,
            List<JournalKeys.Range> gaps,
            Instant lastArrival) {
        List<JournalKeys.Range> newestFirst =
                segments.stream().sorted(Comparator.reverseOrder()).toList();
        long to = newestFirst.isEmpty()
                ? 0
                : newestFirst.stream().mapToLong(JournalKeys.Range::to).max().orElse(0);
        long runStart = to + 1;
        for (JournalKeys.Range r : newestFirst) {
            if (r.to() + 1 >= runStart) {
                runStart = Math.min(runStart, r.from());
            } else {
                break;
            }
        }
        long start = runStart;
        long from = snapshots.stream()
                .filter(s -> !s.drillFailed() && s.revision() >= start - 1 && (to == 0 || s.revision() <= to))
                .mapToLong(SnapshotManifest::revision)
                .min()
                .orElse(-1);
        long newestSnapshot =
                snapshots.stream().mapToLong(SnapshotManifest::revision).max().orElse(0);
        return new JournalCoverage(
                clusterId,
                epoch.name(),
                from,
                to,
                lastArrival,
                gaps.stream()
                        .filter(g -> g.to() > newestSnapshot)
                        .map(JournalKeys.Range::toString)
                        .toList(),
                Instant.now());
    }

    /** The same, with segments committed since up to {@code to}. */
    public JournalCoverage extendedTo(long to, Instant arrival) {
        return new JournalCoverage(clusterId, epoch, fromRevision, to, arrival, openGaps, Instant.now());
    }

    /** The same, without the gaps a snapshot at {@code snapshotRevision} closes. */
    public JournalCoverage closedBy(long snapshotRevision) {
        return new JournalCoverage(
                clusterId,
                epoch,
                fromRevision,
                toRevision,
                lastArrival,
                openGaps.stream()
                        .filter(g -> Long.parseLong(g.substring(g.indexOf('-') + 1)) > snapshotRevision)
                        .toList(),
                Instant.now());
    }
}
