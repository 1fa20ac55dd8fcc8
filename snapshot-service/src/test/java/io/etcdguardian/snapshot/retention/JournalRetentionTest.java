package io.etcdguardian.snapshot.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class JournalRetentionTest {
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final Duration WEEK = Duration.ofDays(7);

    private static SnapshotManifest snapshot(long revision, Duration ago, DrillResult drill, boolean pointInTime) {
        Instant takenAt = NOW.minus(ago);
        return TestManifests.manifest(
                "s-" + revision, takenAt, takenAt, revision, drill, pointInTime ? revision : null);
    }

    private static SnapshotManifest drilled(long revision, Duration ago) {
        return snapshot(revision, ago, DrillResult.PASSED, false);
    }

    private static List<JournalRetention.Cut> cuts(List<JournalEpoch> epochs, List<SnapshotManifest> retained) {
        return JournalRetention.cuts(epochs, retained, WEEK, NOW);
    }

    @Test
    void keepsTheJournalFromTheNewestDrilledSnapshotAtOrBeforeTheWindowsStart() {
        List<JournalRetention.Cut> cuts = cuts(
                List.of(JournalEpoch.FIRST),
                List.of(
                        drilled(100, Duration.ofDays(10)),
                        drilled(200, Duration.ofDays(8)),
                        drilled(300, Duration.ofDays(6)),
                        snapshot(400, Duration.ofDays(1), null, false)));
        assertThat(cuts).singleElement().satisfies(c -> {
            assertThat(c.epoch()).isEqualTo(JournalEpoch.FIRST);
            assertThat(c.throughRevision()).isEqualTo(200);
            assertThat(c.step()).isEqualTo("prune journal e000000000000000 through revision 200");
        });
    }

    @Test
    void onlyADrilledSnapshotThatIsNoPointInTimeAnchorsTheCut() {
        List<JournalRetention.Cut> cuts = cuts(
                List.of(JournalEpoch.FIRST),
                List.of(
                        drilled(100, Duration.ofDays(10)),
                        snapshot(150, Duration.ofDays(9), DrillResult.FAILED, false),
                        snapshot(200, Duration.ofDays(8), null, false),
                        snapshot(250, Duration.ofDays(7).plusHours(1), DrillResult.PASSED, true)));
        assertThat(cuts)
                .singleElement()
                .extracting(JournalRetention.Cut::throughRevision)
                .isEqualTo(100L);
    }

    @Test
    void nothingGoesWhileEverySnapshotIsInsideTheWindowOrNoneIsDrilled() {
        assertThat(cuts(
                        List.of(JournalEpoch.FIRST),
                        List.of(drilled(100, Duration.ofDays(6)), drilled(200, Duration.ofDays(1)))))
                .isEmpty();
        assertThat(cuts(List.of(JournalEpoch.FIRST), List.of(snapshot(100, Duration.ofDays(30), null, false))))
                .isEmpty();
        assertThat(cuts(List.of(JournalEpoch.FIRST), List.of())).isEmpty();
    }

    @Test
    void anEpochThatEndedBeforeTheWindowGoesWholeAndOneThatEndedInsideItIsCutByItsOwnSnapshots() {
        JournalEpoch second = JournalEpoch.startingAt(NOW.minus(Duration.ofDays(9)), "restored");
        JournalEpoch third = JournalEpoch.startingAt(NOW.minus(Duration.ofDays(2)), "restored again");
        List<SnapshotManifest> retained = List.of(
                drilled(500, Duration.ofDays(20)), // first epoch
                drilled(40, Duration.ofDays(8)), // second epoch, before the window
                drilled(90, Duration.ofDays(5)), // second epoch, inside it
                drilled(30, Duration.ofDays(1))); // third epoch
        List<JournalRetention.Cut> cuts = cuts(List.of(JournalEpoch.FIRST, second, third), retained);
        assertThat(cuts).hasSize(2);
        assertThat(cuts.get(0).epoch()).isEqualTo(JournalEpoch.FIRST);
        assertThat(cuts.get(0).throughRevision()).isEqualTo(JournalRetention.Cut.ALL);
        assertThat(cuts.get(0).step()).endsWith("through its end");
        assertThat(cuts.get(1).epoch()).isEqualTo(second);
        assertThat(cuts.get(1).throughRevision()).isEqualTo(40);
    }
}
