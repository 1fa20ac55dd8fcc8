package io.etcdguardian.localetcd;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.nio.file.Path;

/**
 * One member of a local etcd cluster: its name, ports and data directory. Health is read on the
 * plain metrics port, so it can be checked the same way whether clients use TLS or not.
 */
public record EtcdMember(String name, int clientPort, int peerPort, int metricsPort, boolean https, Path dataDir) {
    @JsonIgnore
    public String clientUrl() {
        return (https ? "https" : "http") + "://127.0.0.1:" + clientPort;
    }

    @JsonIgnore
    public String peerUrl() {
        return "http://127.0.0.1:" + peerPort;
    }

    @JsonIgnore
    public String metricsUrl() {
        return "http://127.0.0.1:" + metricsPort;
    }
}
