package io.etcdguardian.common.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogEntryTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    private static SnapshotManifest taken(int minute, DrillResult drill, long stored) {
        Instant at = T0.plus(Duration.ofMinutes(minute));
        String id = "20261201T00" + String.format("%02d", minute) + "00Z-abcdef0" + minute % 10;
        return new SnapshotManifest(
                1,
                "c",
                id,
                "r",
                "SCHEDULE",
                at,
                at.plusSeconds(5),
                "m",
                "3.6",
                null,
                10 + minute,
                1,
                1,
                "h",
                100,
                stored,
                "s",
                "zstd",
                null,
                "c/snapshots/" + id,
                null,
                drill == null ? null : new SnapshotManifest.Drill(drill, at.plusSeconds(60), 0, 0, "x"),
                1L,
                null,
                null);
    }

    @Test
    void summarisesNewestNewestRestorableCountAndBytes() {
        CatalogEntry entry = CatalogEntry.of(
                "c", List.of(taken(1, DrillResult.PASSED, 7), taken(2, DrillResult.FAILED, 8), taken(3, null, 9)));
        assertThat(entry.snapshots()).isEqualTo(3);
        assertThat(entry.storedBytes()).isEqualTo(24);
        assertThat(entry.oldestTakenAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        assertThat(entry.newest().revision()).isEqualTo(13);
        assertThat(entry.newestRestorable().revision())
                .as("a failed drill is not restorable")
                .isEqualTo(11);
        assertThat(entry.waitsForDrill()).isTrue();
        assertThat(entry.drillLag(T0.plus(Duration.ofMinutes(13)).plusSeconds(5)))
                .isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void aDrilledNewestOrNoSnapshotWaitsForNothing() {
        assertThat(CatalogEntry.of("c", List.of(taken(1, DrillResult.FAILED, 1)))
                        .drillLag(T0.plusSeconds(3600)))
                .isZero();
        CatalogEntry none = CatalogEntry.of("c", List.of());
        assertThat(none.newest()).isNull();
        assertThat(none.waitsForDrill()).isFalse();
        assertThat(none.drillLag(T0)).isZero();
    }

    @Test
    void aCommitAheadOfThisClockWaitsWithoutANegativeLag() {
        CatalogEntry ahead = CatalogEntry.of("c", List.of(taken(30, null, 1)));
        assertThat(ahead.waitsForDrill()).isTrue();
        assertThat(ahead.drillLag(T0)).isZero();
    }
}
