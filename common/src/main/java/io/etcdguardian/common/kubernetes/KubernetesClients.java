package io.etcdguardian.common.kubernetes;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * fabric8 clients for the control plane a cluster serves: the cluster's {@code kubernetes.kubeconfig}
 * when set (a management cluster for hosted control planes), else the service's own (in-cluster or
 * ~/.kube/config). Cached per kubeconfig, closed with the service.
 */
@Singleton
public class KubernetesClients {
    private static final String DEFAULT = "";
    private final Map<String, KubernetesClient> clients = new ConcurrentHashMap<>();
    private final String ownKubeconfig;

    public KubernetesClients(
            @io.micronaut.context.annotation.Value("${guardian.kubernetes.kubeconfig:}") String ownKubeconfig) {
        this.ownKubeconfig = ownKubeconfig;
    }

    /** The cluster the service itself runs in (its own secrets): in-cluster, or {@code guardian.kubernetes.kubeconfig}. */
    public KubernetesClient own() {
        return clients.computeIfAbsent(ownKubeconfig, KubernetesClients::build);
    }

    /** Empty when the cluster declares no Kubernetes control plane (or a plain local one). */
    public Optional<KubernetesClient> forCluster(ClusterSpec cluster) {
        if (cluster.kubernetes() == null
                || cluster.kubernetes().kind() == null
                || cluster.kubernetes().is(ControlPlaneKind.LOCAL)) {
            return Optional.empty();
        }
        String kubeconfig = cluster.kubernetes().kubeconfig() == null
                ? DEFAULT
                : cluster.kubernetes().kubeconfig();
        return Optional.of(clients.computeIfAbsent(kubeconfig, KubernetesClients::build));
    }

    private static KubernetesClient build(String kubeconfig) {
        if (kubeconfig.equals(DEFAULT)) {
            return new KubernetesClientBuilder().build();
        }
        try {
            return new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig))))
                    .build();
        } catch (IOException e) {
            throw new GuardianException(Reason.INVALID_CONFIG, "cannot read kubeconfig " + kubeconfig, e);
        }
    }

    @PreDestroy
    void close() {
        clients.values().forEach(KubernetesClient::close);
        clients.clear();
    }
}
