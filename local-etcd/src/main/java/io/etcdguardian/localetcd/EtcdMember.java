package io.etcdguardian.localetcd;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.nio.file.Path;

/** One member of a local etcd cluster: its name, ports and data directory. */
public record EtcdMember(String name, int clientPort, int peerPort, Path dataDir) {
    @JsonIgnore
    public String clientUrl() {
        return "http://127.0.0.1:" + clientPort;
    }

    @JsonIgnore
    public String peerUrl() {
        return "http://127.0.0.1:" + peerPort;
    }
}
