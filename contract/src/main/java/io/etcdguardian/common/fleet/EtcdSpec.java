package io.etcdguardian.common.fleet;

import java.time.Duration;
import java.util.List;

/**
 * The members' client URLs (from the etcd pod spec's --advertise-client-urls), TLS material, and the
 * members' --quota-backend-bytes (etcd's default, 2 GiB, when not given), and how often health-service
 * polls the members (its {@code guardian.health.poll-interval} when not given).
 */
public record EtcdSpec(
        List<String> endpoints,
        TlsSpec tls,
        Duration dialTimeout,
        Duration requestTimeout,
        Long quotaBackendBytes,
        Duration pollInterval) {

    public Duration pollIntervalOr(Duration fallback) {
        return pollInterval == null ? fallback : pollInterval;
    }

    public Duration dialTimeoutOrDefault() {
        return dialTimeout == null ? Duration.ofSeconds(5) : dialTimeout;
    }

    public Duration requestTimeoutOrDefault() {
        return requestTimeout == null ? Duration.ofSeconds(10) : requestTimeout;
    }

    public long quotaOrDefault() {
        return quotaBackendBytes == null ? 2L * 1024 * 1024 * 1024 : quotaBackendBytes;
    }
}
