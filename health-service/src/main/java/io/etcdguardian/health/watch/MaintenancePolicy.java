package io.etcdguardian.health.watch;

import io.etcdguardian.common.etcd.MemberStatus;
import java.util.List;
import java.util.Optional;

/**
 * When a cluster needs defragmenting, from its members' numbers: the OpenShift rule — a member's
 * database is at least {@code minDbBytes} (100 MB) and at least {@code minFragmentation} (45 %) of it
 * is free (size − in use) — or a member uses more than {@code maxQuotaUse} (80 %) of the quota.
 */
public record MaintenancePolicy(long minDbBytes, double minFragmentation, double maxQuotaUse) {
    /** Why to defragment, naming the member and its numbers; empty when nothing calls for it. */
    public Optional<String> decide(List<MemberStatus> members, long quotaBytes) {
        for (MemberStatus m : members) {
            if (!m.reachable() || m.dbSize() <= 0) {
                continue;
            }
            double free = (double) (m.dbSize() - m.dbSizeInUse()) / m.dbSize();
            if (m.dbSize() >= minDbBytes && free >= minFragmentation) {
                return Optional.of(
                        String.format("%s: %d bytes, %.0f%% fragmented", m.endpoint(), m.dbSize(), free * 100));
            }
            double quotaUse = (double) m.dbSize() / quotaBytes;
            if (quotaUse > maxQuotaUse) {
                return Optional.of(
                        String.format("%s: %.0f%% of the %d-byte quota", m.endpoint(), quotaUse * 100, quotaBytes));
            }
        }
        return Optional.empty();
    }
}
