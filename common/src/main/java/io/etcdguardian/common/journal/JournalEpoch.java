package io.etcdguardian.common.journal;

import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One history of a cluster's revisions. A restore that does not move the revisions on ({@code
 * --bump-revision}) numbers new writes with revisions the journal already holds for the writes it undid:
 * the journal then starts a new epoch, under its own prefix, and a point in time is looked for within one
 * epoch only — its segments, and the snapshots taken while it lasted (the first epoch: every snapshot
 * taken before the next). {@code name} sorts by {@code startedAt}.
 */
public record JournalEpoch(String name, Instant startedAt, String reason) {
    public static final JournalEpoch FIRST = new JournalEpoch(nameOf(Instant.EPOCH), Instant.EPOCH, "the first");

    public static String nameOf(Instant startedAt) {
        return String.format("e%015d", startedAt.toEpochMilli());
    }

    public static JournalEpoch startingAt(Instant startedAt, String reason) {
        return new JournalEpoch(nameOf(startedAt), startedAt, reason);
    }

    /** The snapshots of this epoch: taken while it lasted (until {@code next} began). */
    public List<SnapshotManifest> snapshots(List<SnapshotManifest> all, Optional<JournalEpoch> next) {
        return all.stream()
                .filter(s -> !s.takenAt().isBefore(startedAt))
                .filter(s -> next.map(n -> s.takenAt().isBefore(n.startedAt())).orElse(true))
                .toList();
    }
}
