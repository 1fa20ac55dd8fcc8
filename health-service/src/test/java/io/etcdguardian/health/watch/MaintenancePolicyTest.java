package io.etcdguardian.health.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.etcd.MemberStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaintenancePolicyTest {
    /** The OpenShift rule, as guardian.health.defrag-* default to it (HealthSettingsTest checks the defaults). */
    private static final MaintenancePolicy OPENSHIFT_RULE = new MaintenancePolicy(100_000_000L, 0.45, 0.80);

    private static final long QUOTA = 2L * 1024 * 1024 * 1024;

    private static MemberStatus member(String endpoint, long size, long inUse) {
        return new MemberStatus(endpoint, 1, 1, "3.5", size, inUse, 10, 2, 10, false, 5, List.of(), null);
    }

    @Test
    void defragmentsABigFragmentedMember() {
        assertThat(OPENSHIFT_RULE.decide(
                        List.of(member("a", 150_000_000, 140_000_000), member("b", 200_000_000, 100_000_000)), QUOTA))
                .hasValue("b: 200000000 bytes, 50% fragmented");
    }

    @Test
    void leavesSmallOrDenseDatabasesAlone() {
        assertThat(OPENSHIFT_RULE.decide(
                        List.of(
                                member("small", 90_000_000, 10_000_000),
                                member("dense", 500_000_000, 400_000_000),
                                MemberStatus.unreachable("down", "refused")),
                        QUOTA))
                .isEmpty();
    }

    @Test
    void defragmentsAMemberNearItsQuotaEvenWhenDense() {
        assertThat(OPENSHIFT_RULE.decide(List.of(member("full", 14_000_000, 13_000_000)), 16L * 1024 * 1024))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith("full: 83% of the 16777216-byte quota"));
    }
}
