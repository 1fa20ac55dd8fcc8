package io.etcdguardian.common.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.EtcdSpec;
import io.etcdguardian.common.fleet.FleetChanged;
import io.etcdguardian.common.fleet.TlsSpec;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.File;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;

/**
 * jetcd clients. {@link #member} hands out one long-lived client per member (maintenance calls —
 * status, snapshot, defragment — act on the member the client is connected to); a connection costs
 * far more than a status call, so they are kept, and closed when the fleet no longer names them —
 * but never under an operation that uses them: an operation {@link #pin}s its cluster, and a client
 * the fleet dropped meanwhile is closed when the last pin of its cluster is released.
 */
@Singleton
public class EtcdClients {
    private final Map<Key, Client> members = new ConcurrentHashMap<>();
    // guarded by this: pins per cluster id, and the clients the fleet dropped while their cluster was pinned
    private final Map<String, Integer> pins = new HashMap<>();
    private final Map<Key, Client> retired = new HashMap<>();

    /** Held by an operation for as long as it uses its cluster's clients. */
    public interface Pin extends AutoCloseable {
        @Override
        void close();
    }

    /** Per cluster, not per endpoint alone: two fleet entries never share (or close) each other's client. */
    private record Key(String cluster, String endpoint, TlsSpec tls, java.time.Duration dialTimeout) {
        static Key of(ClusterSpec cluster, String endpoint) {
            return new Key(
                    cluster.id(), endpoint, cluster.etcd().tls(), cluster.etcd().dialTimeoutOrDefault());
        }
    }

    /** A shared client for one member: do not close it. */
    public Client member(ClusterSpec cluster, String endpoint) {
        return members.computeIfAbsent(
                Key.of(cluster, endpoint),
                k -> builder(cluster.etcd(), List.of(endpoint)).build());
    }

    /**
     * A client of its own on all of the cluster's endpoints, for a stream that lives long (the journal's
     * watch) and whose messages may be large (a revision of many 1.5 MiB values); the caller closes it.
     */
    public Client dedicated(ClusterSpec cluster, int maxInboundBytes) {
        return builder(cluster.etcd(), cluster.etcd().endpoints())
                .maxInboundMessageSize(maxInboundBytes)
                .build();
    }

    /** Keeps {@code cluster}'s clients open until the pin is closed, whatever the fleet says meanwhile. */
    public synchronized Pin pin(ClusterSpec cluster) {
        String id = cluster.id();
        pins.merge(id, 1, Integer::sum);
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                release(id);
            }
        };
    }

    private synchronized void release(String clusterId) {
        if (pins.merge(clusterId, -1, Integer::sum) > 0) {
            return;
        }
        pins.remove(clusterId);
        retired.entrySet().removeIf(retiring -> {
            if (!retiring.getKey().cluster().equals(clusterId)) {
                return false;
            }
            retiring.getValue().close();
            return true;
        });
    }

    @EventListener
    synchronized void onFleetChanged(FleetChanged change) {
        Set<Key> wanted = new HashSet<>();
        change.fleet().all().forEach(c -> c.etcd().endpoints().forEach(e -> wanted.add(Key.of(c, e))));
        members.keySet().removeIf(key -> {
            if (wanted.contains(key)) {
                return false;
            }
            Client client = members.get(key);
            if (client != null) {
                if (pins.containsKey(key.cluster())) {
                    retired.put(key, client); // an operation still uses it
                } else {
                    client.close();
                }
            }
            return true;
        });
    }

    @PreDestroy
    synchronized void close() {
        members.values().forEach(Client::close);
        members.clear();
        retired.values().forEach(Client::close);
        retired.clear();
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
                throw new GuardianException(
                        Reason.TLS_INVALID,
                        "TLS material for etcd is unusable: " + e.getClass().getSimpleName(),
                        e);
            }
        }
        return builder;
    }
}
