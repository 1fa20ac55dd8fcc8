package io.etcdguardian.snapshot.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.fleet.RetentionSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:30:00Z");

    private enum Drill {
        NONE,
        PASSED,
        FAILED
    }

    private static SnapshotManifest at(Instant takenAt, Drill drill) {
        return TestManifests.manifest(
                takenAt.toString(),
                takenAt,
                takenAt,
                1,
                drill == Drill.NONE ? null : DrillResult.valueOf(drill.name()),
                null);
    }

    /** One snapshot every 30 minutes for 40 days, newest first at NOW; the oldest one's drill passed. */
    private static List<SnapshotManifest> everyHalfHour() {
        List<SnapshotManifest> all = new ArrayList<>();
        int count = 40 * 48;
        for (int i = 0; i < count; i++) {
            all.add(at(NOW.minus(Duration.ofMinutes(30L * i)), i == count - 1 ? Drill.PASSED : Drill.NONE));
        }
        return all;
    }

    private static List<String> kept(List<SnapshotManifest> all, RetentionSpec spec) {
        return kept(all, spec, Set.of());
    }

    private static List<String> kept(List<SnapshotManifest> all, RetentionSpec spec, Set<String> inUse) {
        List<String> deleted = RetentionPolicy.toDelete(all, spec, inUse).stream()
                .map(SnapshotManifest::snapshotId)
                .toList();
        return all.stream()
                .map(SnapshotManifest::snapshotId)
                .filter(id -> !deleted.contains(id))
                .toList();
    }

    private static final String OLDEST =
            NOW.minus(Duration.ofMinutes(30L * (40 * 48 - 1))).toString();

    @Test
    void keepsTheLastNAndTheNewestRestorable() {
        assertThat(kept(everyHalfHour(), new RetentionSpec(3, null, null, null, null)))
                .containsExactly("2026-11-23T12:30:00Z", "2026-11-23T12:00:00Z", "2026-11-23T11:30:00Z", OLDEST);
    }

    @Test
    void keepsTheNewestOfEachBucket() {
        List<String> kept = kept(everyHalfHour(), new RetentionSpec(1, 3, 2, 2, 2));
        assertThat(kept)
                .containsExactlyInAnyOrder(
                        // last 1; also the newest of hour 12, of Monday the 23rd, of ISO week 48 and of November
                        "2026-11-23T12:30:00Z",
                        "2026-11-23T11:30:00Z",
                        "2026-11-23T10:30:00Z", // hours 11 and 10
                        "2026-11-22T23:30:00Z", // day 22, also the newest of week 47
                        "2026-10-31T23:30:00Z", // October
                        OLDEST); // the only restorable one
    }

    @Test
    void keepLastOneNeverDeletesTheOnlyDrilledSnapshot() {
        // the case that broke restores: the newest is not drilled yet, the one before is the only restorable
        List<SnapshotManifest> all = List.of(
                at(NOW.minusSeconds(7200), Drill.NONE), at(NOW.minusSeconds(3600), Drill.PASSED), at(NOW, Drill.NONE));
        assertThat(kept(all, new RetentionSpec(1, null, null, null, null)))
                .containsExactlyInAnyOrder(
                        NOW.toString(), NOW.minusSeconds(3600).toString());
    }

    @Test
    void aFailedDrillIsNotRestorableAndNeverStandsForABucket() {
        List<SnapshotManifest> all = List.of(
                at(NOW.minusSeconds(7200), Drill.PASSED),
                at(NOW.minusSeconds(3600), Drill.FAILED),
                at(NOW, Drill.FAILED));
        assertThat(kept(all, new RetentionSpec(1, null, null, null, null)))
                .containsExactlyInAnyOrder(
                        NOW.toString(), NOW.minusSeconds(7200).toString());
        assertThat(RetentionPolicy.toDelete(all, new RetentionSpec(null, 1, 0, 0, 0)))
                .extracting(SnapshotManifest::snapshotId)
                .containsExactly(NOW.minusSeconds(3600).toString(), NOW.toString());
    }

    @Test
    void aClusterWithoutARestorableSnapshotKeepsEverything() {
        List<SnapshotManifest> all = List.of(
                at(NOW.minusSeconds(7200), Drill.NONE), at(NOW.minusSeconds(3600), Drill.FAILED), at(NOW, Drill.NONE));
        assertThat(RetentionPolicy.toDelete(all, new RetentionSpec(1, 0, 0, 0, 0)))
                .isEmpty();
    }

    @Test
    void neverDeletesASnapshotInUse() {
        List<SnapshotManifest> all = List.of(
                at(NOW.minusSeconds(7200), Drill.NONE), at(NOW.minusSeconds(3600), Drill.PASSED), at(NOW, Drill.NONE));
        assertThat(kept(
                        all,
                        new RetentionSpec(1, null, null, null, null),
                        Set.of(NOW.minusSeconds(7200).toString())))
                .hasSize(3);
    }

    @Test
    void aPointInTimeSnapshotStandsForNoBucketAndGoesADayAfterItWasMade() {
        Instant now = Instant.now();
        SnapshotManifest daily = at(now.minus(Duration.ofDays(3)), Drill.PASSED);
        SnapshotManifest newest = at(now, Drill.PASSED);
        SnapshotManifest madeNow = pointInTime(now.minus(Duration.ofDays(3)).plusSeconds(600), now);
        SnapshotManifest madeTwoDaysAgo = pointInTime(now.minus(Duration.ofDays(5)), now.minus(Duration.ofDays(2)));
        List<SnapshotManifest> delete = RetentionPolicy.toDelete(
                List.of(daily, newest, madeNow, madeTwoDaysAgo), new RetentionSpec(1, null, 7, null, null));
        assertThat(delete)
                .as("the day's own snapshot stays though a point-in-time one of the same day is newer; the one"
                        + " made two days ago goes")
                .containsExactly(madeTwoDaysAgo);
    }

    private static SnapshotManifest pointInTime(Instant dataAt, Instant madeAt) {
        return TestManifests.manifest(dataAt + "-pit", dataAt, madeAt, 5, DrillResult.PASSED, 5L);
    }

    @Test
    void deletesNothingWithoutAPolicy() {
        assertThat(RetentionPolicy.toDelete(everyHalfHour(), null)).isEmpty();
    }
}
