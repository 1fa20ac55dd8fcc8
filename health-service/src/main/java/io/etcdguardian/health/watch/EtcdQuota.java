package io.etcdguardian.health.watch;

import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster's backend quota as etcd itself enforces it — {@code etcd_server_quota_backend_bytes} on a
 * member's client URL — because that is the limit NOSPACE is raised at; else the fleet's {@code
 * etcd.quotaBackendBytes}; else the platform's default (OpenShift runs etcd with 8 GiB, etcd's own
 * default is 2 GiB). Read again at most every {@link #MAX_AGE} (changing it needs an etcd restart),
 * so a fleet's watchers do not fetch every member's metrics page at every poll.
 */
@Singleton
public class EtcdQuota {
    static final Duration MAX_AGE = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(EtcdQuota.class);
    private static final String METRIC = "etcd_server_quota_backend_bytes ";

    private record Read(long bytes, Instant at) {}

    private final Map<String, Read> read = new ConcurrentHashMap<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The quota NOSPACE is judged by for this cluster. */
    public long of(ClusterSpec cluster) {
        Read known = read.get(cluster.id());
        return known != null ? known.bytes() : fallback(cluster);
    }

    /** Reads etcd's quota from a reachable member when the last read is older than {@link #MAX_AGE}. */
    public void refresh(ClusterSpec cluster, List<MemberStatus> members) {
        Read known = read.get(cluster.id());
        if (known != null && known.at().plus(MAX_AGE).isAfter(Instant.now())) {
            return;
        }
        for (MemberStatus member : members) {
            // https members want the fleet's client certificate: their quota comes from the fleet or the platform
            if (!member.reachable() || !member.endpoint().startsWith("http://")) {
                continue;
            }
            try {
                String body = http.send(
                                HttpRequest.newBuilder(URI.create(member.endpoint() + "/metrics"))
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                for (String line : body.lines().toList()) {
                    if (line.startsWith(METRIC)) {
                        long bytes = (long) Double.parseDouble(
                                line.substring(METRIC.length()).strip());
                        if (known == null || known.bytes() != bytes) {
                            LOG.info(
                                    "{}: etcd's quota is {} bytes (fleet says {})",
                                    cluster.id(),
                                    bytes,
                                    cluster.etcd().quotaBackendBytes());
                        }
                        read.put(cluster.id(), new Read(bytes, Instant.now()));
                        return;
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                LOG.debug("no quota from {}: {}", member.endpoint(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static long fallback(ClusterSpec cluster) {
        if (cluster.etcd().quotaBackendBytes() != null) {
            return cluster.etcd().quotaBackendBytes();
        }
        boolean openshift = cluster.kubernetes() != null && cluster.kubernetes().is(ControlPlaneKind.OPENSHIFT);
        return (openshift ? 8L : 2L) << 30;
    }
}
