package io.etcdguardian.common.journal;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * How to reach one revision: the newest usable snapshot at or before it and the segments that carry it
 * from the snapshot's revision to the target without a hole. A snapshot whose drill failed is never a base.
 */
public record PointInTimePlan(
        JournalEpoch epoch, SnapshotManifest base, List<JournalKeys.Range> segments, long targetRevision) {

    /** {@code snapshots}: the epoch's ({@link JournalEpoch#snapshots}); {@code segments}: its segments. */
    public static PointInTimePlan of(
            JournalEpoch epoch,
            List<SnapshotManifest> snapshots,
            List<JournalKeys.Range> segments,
            long targetRevision) {
        List<SnapshotManifest> bases = snapshots.stream()
                .filter(s -> !s.drillFailed() && s.revision() <= targetRevision)
                .sorted(Comparator.comparingLong(SnapshotManifest::revision).reversed())
                .toList();
        if (bases.isEmpty()) {
            throw new GuardianException(
                    Reason.NOT_FOUND, "no snapshot at or before revision " + targetRevision + " to start from");
        }
        long firstHole = -1;
        for (SnapshotManifest base : bases) {
            Walk walk = Walk.of(segments, base.revision(), targetRevision);
            if (walk.hole() < 0) {
                return new PointInTimePlan(epoch, base, walk.chosen(), targetRevision);
            }
            if (firstHole < 0) {
                firstHole = walk.hole();
            }
        }
        throw new GuardianException(
                Reason.NOT_FOUND,
                "revision " + targetRevision + " is not covered: the journal after snapshot "
                        + bases.get(0).snapshotId() + " (revision "
                        + bases.get(0).revision()
                        + ") has no segment holding revision " + firstHole);
    }

    /** Segments covering {@code (from, to]}, each reaching as far as it can, or the first revision in none. */
    private record Walk(List<JournalKeys.Range> chosen, long hole) {
        static Walk of(List<JournalKeys.Range> segments, long from, long to) {
            List<JournalKeys.Range> chosen = new ArrayList<>();
            long need = from + 1;
            while (need <= to) {
                long n = need;
                Optional<JournalKeys.Range> next = segments.stream()
                        .filter(r -> r.contains(n))
                        .max(Comparator.comparingLong(JournalKeys.Range::to));
                if (next.isEmpty()) {
                    return new Walk(chosen, need);
                }
                chosen.add(next.get());
                need = next.get().to() + 1;
            }
            return new Walk(chosen, -1);
        }
    }
}
