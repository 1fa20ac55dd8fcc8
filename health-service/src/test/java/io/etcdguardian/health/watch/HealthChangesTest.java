package io.etcdguardian.health.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.event.HealthChanged;
import io.etcdguardian.common.event.HealthChanged.Change;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HealthChangesTest {
    private static final String A = "http://10.0.0.1:2379";
    private static final String B = "http://10.0.0.2:2379";
    private static final Instant AT = Instant.parse("2026-11-23T06:00:00Z");

    @Test
    void aHealthyFirstPollSaysNothingAndAnUnhealthyOneSaysWhatIsWrong() {
        ClusterView healthy = new ClusterView(Map.of(A, true, B, true), A, 3, Set.of());
        assertThat(HealthChanges.between("c", null, healthy, AT)).isEmpty();

        ClusterView broken = new ClusterView(Map.of(A, true, B, false), null, 0, Set.of(A + "/CORRUPT"));
        assertThat(HealthChanges.between("c", null, broken, AT))
                .extracting(HealthChanged::change, HealthChanged::member)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(Change.MEMBER_DOWN, B),
                        org.assertj.core.groups.Tuple.tuple(Change.LEADER_LOST, null),
                        org.assertj.core.groups.Tuple.tuple(Change.ALARM_RAISED, A));
    }

    @Test
    void eachChangeIsReportedOnceAndTheCorruptAlarmNamesWhoMustAct() {
        ClusterView before = new ClusterView(Map.of(A, true, B, true), A, 3, Set.of(A + "/NOSPACE"));
        ClusterView after = new ClusterView(Map.of(A, false, B, true), B, 4, Set.of(B + "/CORRUPT"));
        List<HealthChanged> changes = HealthChanges.between("c", before, after, AT);
        assertThat(changes)
                .extracting(HealthChanged::change)
                .containsExactlyInAnyOrder(
                        Change.MEMBER_DOWN, Change.LEADER_CHANGED, Change.ALARM_RAISED, Change.ALARM_CLEARED);
        HealthChanged corrupt = changes.stream()
                .filter(c -> c.change() == Change.ALARM_RAISED)
                .findFirst()
                .orElseThrow();
        assertThat(corrupt.alarm()).isEqualTo("CORRUPT");
        assertThat(corrupt.member()).isEqualTo(B);
        assertThat(corrupt.detail()).contains("never disarmed automatically", "restore");
        assertThat(changes.stream()
                        .filter(c -> c.change() == Change.LEADER_CHANGED)
                        .findFirst()
                        .orElseThrow()
                        .detail())
                .contains("moved from " + A, "term 4");

        assertThat(HealthChanges.between("c", after, after, AT))
                .as("no change, no event")
                .isEmpty();
        ClusterView recovered = new ClusterView(Map.of(A, true, B, true), B, 4, Set.of(B + "/CORRUPT"));
        assertThat(HealthChanges.between("c", after, recovered, AT))
                .singleElement()
                .extracting(HealthChanged::change, HealthChanged::member)
                .containsExactly(Change.MEMBER_UP, A);
    }
}
