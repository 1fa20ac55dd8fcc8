package io.etcdguardian.snapshot.retention;

import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * How much of each epoch's journal to keep so that every second of the last {@code window} stays
 * restorable. A point in time is made from the newest snapshot at or before it plus the journal after
 * that snapshot; so the journal is needed from the newest snapshot taken at or before the window's start
 * on, and the segments before it can go. Only a snapshot whose drill passed anchors the cut: a base that
 * later proved unusable would leave the window's first hours needing segments already deleted. A
 * point-in-time snapshot anchors nothing (it goes after a day). An epoch that ended before the window
 * began goes whole; its snapshots stay restorable on their own.
 */
final class JournalRetention {
    /** The epoch's segments and gaps ending at or before {@code throughRevision} go (0: none). */
    record Cut(JournalEpoch epoch, long throughRevision, String why) {
        static final long ALL = Long.MAX_VALUE;

        String step() {
            return "prune journal " + epoch.name() + " through "
                    + (throughRevision == ALL ? "its end" : "revision " + throughRevision);
        }
    }

    private JournalRetention() {}

    /**
     * {@code epochs}: oldest first, as the store lists them; {@code retained}: the snapshots that stay after
     * this retention run.
     */
    static List<Cut> cuts(List<JournalEpoch> epochs, List<SnapshotManifest> retained, Duration window, Instant now) {
        Instant windowStart = now.minus(window);
        List<Cut> cuts = new ArrayList<>();
        for (int i = 0; i < epochs.size(); i++) {
            JournalEpoch epoch = epochs.get(i);
            Optional<JournalEpoch> next = i + 1 < epochs.size() ? Optional.of(epochs.get(i + 1)) : Optional.empty();
            if (next.isPresent() && !next.get().startedAt().isAfter(windowStart)) {
                cuts.add(new Cut(
                        epoch,
                        Cut.ALL,
                        "the epoch ended before the window began, at "
                                + next.get().startedAt()));
                continue;
            }
            epoch.snapshots(retained, next).stream()
                    .filter(s -> s.pointInTime() == null && s.drillPassed())
                    .filter(s -> !s.takenAt().isAfter(windowStart))
                    .max(Comparator.comparingLong(SnapshotManifest::revision))
                    .ifPresent(anchor -> cuts.add(new Cut(
                            epoch,
                            anchor.revision(),
                            "snapshot " + anchor.snapshotId() + " (revision " + anchor.revision() + ", taken "
                                    + anchor.takenAt() + ") starts every point of the window")));
        }
        return cuts;
    }
}
