package io.etcdguardian.snapshot.retention;

import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;
import java.util.List;

/** Manifests as retention sees them: only id, times, revision, drill and point in time matter to it. */
final class TestManifests {
    private TestManifests() {}

    /** {@code drill} null: never drilled; {@code pointInTimeOf} null: taken from a member, else made up to it. */
    static SnapshotManifest manifest(
            String id, Instant takenAt, Instant completedAt, long revision, DrillResult drill, Long pointInTimeOf) {
        return new SnapshotManifest(
                1,
                "c",
                id,
                "r-" + id,
                pointInTimeOf == null ? "SCHEDULE" : "POINT_IN_TIME",
                takenAt,
                completedAt,
                pointInTimeOf == null ? "m" : "journal",
                "3.6",
                null,
                revision,
                1,
                1,
                "h",
                1,
                1,
                "s",
                "zstd",
                null,
                "c/snapshots/" + id,
                null,
                drill == null ? null : new SnapshotManifest.Drill(drill, completedAt, 0, 0, "x"),
                1000L,
                null,
                null,
                pointInTimeOf == null
                        ? null
                        : new SnapshotManifest.PointInTime(
                                "e000000000000000", "base", 3, List.of("4-" + pointInTimeOf), pointInTimeOf, takenAt));
    }
}
