package io.etcdguardian.common.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.EtcdSpec;
import io.etcdguardian.common.fleet.TlsSpec;
import jakarta.inject.Singleton;
import java.io.File;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Builds jetcd clients for a cluster (all members, for KV and cluster calls) or for one member
 * (maintenance calls such as snapshot and defragment act on the member the client is connected to).
 * The caller closes the client.
 */
@Singleton
public class EtcdClients {

    public Client forCluster(ClusterSpec cluster) {
        return builder(cluster.etcd(), cluster.etcd().endpoints()).build();
    }

    public Client forMember(ClusterSpec cluster, String endpoint) {
        return builder(cluster.etcd(), List.of(endpoint)).build();
    }

    static ClientBuilder builder(EtcdSpec etcd, List<String> endpoints) {
        ClientBuilder builder = Client.builder()
                .endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(etcd.dialTimeoutOrDefault())
                // etcd's snapshot stream can be large: the default 4 MiB inbound limit is for one message only
                .maxInboundMessageSize(16 * 1024 * 1024);
        TlsSpec tls = etcd.tls();
        if (tls != null && tls.ca() != null) {
            try {
                builder.sslContext(ssl -> {
                    ssl.trustManager(new File(tls.ca()));
                    if (tls.cert() != null && tls.key() != null) {
                        ssl.keyManager(new File(tls.cert()), new File(tls.key()));
                    }
                });
            } catch (SSLException | IllegalArgumentException e) {
                throw new GuardianException(Reason.TLS_INVALID, "TLS material for etcd is unusable: "
                        + e.getClass().getSimpleName(), e);
            }
        }
        return builder;
    }
}
