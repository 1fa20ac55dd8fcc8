package io.etcdguardian.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A restore or a backup names one moment: a revision or a time, and a restore not a snapshot as well. */
class PointInTimeRequestsTest {
    private static RestoreRequested restore(String snapshotId, Long toRevision, Instant toTime) {
        return new RestoreRequested(
                "c", snapshotId, "local", true, false, "test", null, null, List.of(), null, toRevision, toTime);
    }

    @Test
    void aRestoreNamesASnapshotOrAMomentNotBoth() {
        assertThatThrownBy(() -> restore("s-1", 10L, null))
                .hasMessage("snapshotId and toRevision/toTime: name the snapshot or the point in time, not both");
        assertThatThrownBy(() -> restore(null, 10L, Instant.EPOCH))
                .hasMessage("toRevision and toTime: name one or the other");
        assertThatThrownBy(() -> restore(null, 0L, null)).hasMessage("toRevision must be a revision (1 or more)");
        assertThat(restore(null, 10L, null).isPointInTime()).isTrue();
        assertThat(restore("s-1", null, null).isPointInTime()).isFalse();
    }

    @Test
    void theDryRunAndTheApplyingRequestAskForTheSameMoment() {
        RestoreRequested asked =
                RestoreRequested.pointInTime("c", null, Instant.parse("2026-12-02T03:00:00Z"), null, "t");
        assertThat(asked.planOnly().toTime()).isEqualTo(asked.toTime());
        assertThat(asked.planOnly().dryRun()).isTrue();
        RestoreRequested applying = asked.planOnly().applying("sha256:abc");
        assertThat(applying.toTime()).isEqualTo(asked.toTime());
        assertThat(applying.dryRun()).isFalse();
        assertThat(applying.planDigest()).isEqualTo("sha256:abc");
    }

    @Test
    void theMomentTravelsInTheEventAndIsLeftOutWhenUnset() throws Exception {
        RestoreRequested asked = RestoreRequested.pointInTime("c", 48377L, null, "local", "t");
        String json = EventJson.MAPPER.writeValueAsString(asked);
        assertThat(json)
                .contains("\"toRevision\":48377")
                .doesNotContain("toTime")
                .doesNotContain("pointInTime");
        assertThat(EventJson.MAPPER.readValue(json, RestoreRequested.class)).isEqualTo(asked);
        assertThat(EventJson.MAPPER.writeValueAsString(restore("s-1", null, null)))
                .doesNotContain("toRevision");
    }
}
