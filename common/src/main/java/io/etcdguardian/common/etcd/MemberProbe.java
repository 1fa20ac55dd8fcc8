package io.etcdguardian.common.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.work.WorkerPool;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Asks every member of a cluster for its status in parallel, each bounded by the cluster's request timeout. */
@Singleton
public class MemberProbe {
    /** Enough for the members of a few clusters probed at once; more wait their turn. */
    private static final int THREADS = 16;

    private final EtcdClients clients;
    private final WorkerPool pool = new WorkerPool("member-probe", THREADS);

    public MemberProbe(EtcdClients clients) {
        this.clients = clients;
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }

    public List<MemberStatus> probe(ClusterSpec cluster) {
        Duration timeout = cluster.etcd().requestTimeoutOrDefault();
        List<CompletableFuture<MemberStatus>> all = cluster.etcd().endpoints().stream()
                .map(endpoint -> CompletableFuture.supplyAsync(() -> probe(cluster, endpoint, timeout), pool))
                .toList();
        return all.stream().map(CompletableFuture::join).toList();
    }

    public MemberStatus probe(ClusterSpec cluster, String endpoint, Duration timeout) {
        try {
            Client client = clients.member(cluster, endpoint);
            StatusResponse s =
                    client.getMaintenanceClient().statusMember(endpoint).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new MemberStatus(
                    endpoint,
                    s.getHeader().getMemberId(),
                    s.getLeader(),
                    s.getVersion(),
                    s.getDbSize(),
                    s.getDbSizeInUse(),
                    s.getRaftIndex(),
                    s.getRaftTerm(),
                    s.getRaftAppliedIndex(),
                    s.isLearner(),
                    s.getHeader().getRevision(),
                    List.copyOf(s.getErrorList()),
                    null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return MemberStatus.unreachable(endpoint, "interrupted");
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String error = root.getClass().getSimpleName()
                    + (root.getMessage() == null
                            ? ""
                            : ": " + root.getMessage().lines().findFirst().orElse(""));
            if (endpoint.startsWith("https:") && cluster.etcd().tls() != null) {
                error = TlsDiagnosis.handshake(endpoint, cluster.etcd().tls()).orElse(error);
            }
            return MemberStatus.unreachable(endpoint, error);
        }
    }
}
