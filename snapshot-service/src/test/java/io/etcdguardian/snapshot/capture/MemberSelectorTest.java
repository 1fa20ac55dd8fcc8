package io.etcdguardian.snapshot.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.GuardianException;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberSelectorTest {
    private static final long LEADER = 1;

    private static MemberStatus member(String endpoint, long id, long applied, boolean learner, List<String> errors) {
        return new MemberStatus(
                endpoint, id, LEADER, "3.5.16", 100, 80, applied, 2, applied, learner, 10, errors, null);
    }

    @Test
    void prefersTheFollowerClosestToTheLeader() {
        List<MemberStatus> members = List.of(
                member("a", LEADER, 1000, false, List.of()),
                member("b", 2, 990, false, List.of()),
                member("c", 3, 999, false, List.of()));
        assertThat(MemberSelector.choose(members, 100).endpoint()).isEqualTo("c");
    }

    @Test
    void neverALearnerNorAMemberWithErrorsNorOneThatLags() {
        List<MemberStatus> members = List.of(
                member("a", LEADER, 1000, false, List.of()),
                member("b", 2, 1000, true, List.of()),
                member("c", 3, 1000, false, List.of("memberID:3 alarm:CORRUPT")),
                member("d", 4, 10, false, List.of()));
        assertThat(MemberSelector.choose(members, 100).endpoint()).isEqualTo("a");
    }

    @Test
    void aFullClusterIsStillSnapshotted() {
        // NOSPACE refuses writes, not reads: the snapshot before the heal is the one that matters most
        List<String> full = List.of("memberID:1 alarm:NOSPACE ");
        List<MemberStatus> members = List.of(member("a", LEADER, 1000, false, full), member("b", 2, 1000, false, full));
        assertThat(MemberSelector.choose(members, 100).endpoint()).isEqualTo("b");
    }

    @Test
    void fallsBackToAnotherMemberWhenOneIsDown() {
        List<MemberStatus> members = List.of(
                MemberStatus.unreachable("a", "UNAVAILABLE"),
                member("b", 2, 1000, false, List.of()),
                member("c", 3, 1000, false, List.of()));
        assertThat(MemberSelector.choose(members, 100).endpoint()).isIn("b", "c");
    }

    @Test
    void failsRetriablyWhenNoMemberCanServe() {
        assertThatThrownBy(() -> MemberSelector.choose(
                        List.of(MemberStatus.unreachable("a", "refused"), member("b", 2, 5, true, List.of())), 100))
                .isInstanceOf(GuardianException.class)
                .hasMessageContaining("a refused")
                .hasMessageContaining("b learner")
                .satisfies(e -> assertThat(((GuardianException) e).retriable()).isTrue());
    }
}
