package io.etcdguardian.common.fleet;

import java.time.Duration;
import java.util.List;

/** The members' client URLs (from the etcd pod spec's --advertise-client-urls) and TLS material. */
public record EtcdSpec(List<String> endpoints, TlsSpec tls, Duration dialTimeout, Duration requestTimeout) {
    public Duration dialTimeoutOrDefault() {
        return dialTimeout == null ? Duration.ofSeconds(5) : dialTimeout;
    }

    public Duration requestTimeoutOrDefault() {
        return requestTimeout == null ? Duration.ofSeconds(10) : requestTimeout;
    }
}
