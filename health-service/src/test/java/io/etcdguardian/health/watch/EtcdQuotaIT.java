package io.etcdguardian.health.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetParser;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quota NOSPACE is judged by comes from etcd itself, on a real member started with --quota-backend-bytes. */
class EtcdQuotaIT {
    @TempDir
    Path dir;

    private static ClusterSpec cluster(String endpoint, String extra) {
        return FleetParser.parseDocument("""
                clusters:
                  - id: q
                    etcd: { endpoints: [%s]%s }
                    store: { bucket: etcd-snapshots }
                """.formatted(endpoint, extra))
                .clusters()
                .get("q");
    }

    private static MemberStatus reachable(String endpoint) {
        return new MemberStatus(endpoint, 1, 1, "3.6", 0, 0, 1, 1, 1, false, 1, List.of(), null);
    }

    @Test
    void etcdsOwnQuotaWinsOverTheFleetAndThePlatformDefault() {
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 1, 24L << 20).start();
        try {
            String endpoint = etcd.endpoints().get(0);
            ClusterSpec noQuota = cluster(endpoint, "");
            EtcdQuota quota = new EtcdQuota();
            assertThat(quota.of(noQuota)).as("before a read: etcd's default").isEqualTo(2L << 30);
            quota.refresh(noQuota, List.of(reachable(endpoint)));
            assertThat(quota.of(noQuota)).as("etcd's --quota-backend-bytes").isEqualTo(24L << 20);

            EtcdQuota other = new EtcdQuota();
            ClusterSpec wrongFleet = cluster(endpoint, ", quotaBackendBytes: 8589934592");
            other.refresh(wrongFleet, List.of(reachable(endpoint)));
            assertThat(other.of(wrongFleet))
                    .as("etcd is the authority, not a stale fleet value")
                    .isEqualTo(24L << 20);
        } finally {
            etcd.stop();
        }
    }

    @Test
    void withoutAnAnswerTheFleetThenThePlatformDecide() {
        EtcdQuota quota = new EtcdQuota();
        ClusterSpec fleet = cluster("http://127.0.0.1:1", ", quotaBackendBytes: 16777216");
        quota.refresh(fleet, List.of(MemberStatus.unreachable("http://127.0.0.1:1", "down")));
        assertThat(quota.of(fleet)).isEqualTo(16L << 20);
        ClusterSpec openshift = FleetParser.parseDocument("""
                clusters:
                  - id: o
                    etcd: { endpoints: [http://127.0.0.1:1] }
                    store: { bucket: etcd-snapshots }
                    kubernetes: { kind: openshift }
                """).clusters().get("o");
        assertThat(quota.of(openshift))
                .as("OpenShift runs etcd with an 8 GiB quota")
                .isEqualTo(8L << 30);
    }
}
