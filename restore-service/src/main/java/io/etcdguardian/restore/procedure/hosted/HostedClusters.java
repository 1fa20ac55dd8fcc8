package io.etcdguardian.restore.procedure.hosted;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.restore.plan.RestoreRun;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the hosted-cluster procedures share: the HostedCluster, its control-plane namespace, pausing, revision bumps. */
final class HostedClusters {
    /** Kubernetes informers must see a restored etcd move forward in time: the lessons' value when unknown. */
    static final String BUMP = "1000000000";

    private static final Pattern ETCD_TAG = Pattern.compile(":v?(\\d+)\\.(\\d+)\\.(\\d+)");

    private HostedClusters() {}

    static KubernetesSpec spec(RestoreRun run) {
        KubernetesSpec hc = run.cluster().kubernetes();
        if (hc == null || hc.namespace() == null || hc.name() == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "cluster '" + run.cluster().id()
                            + "': kubernetes.namespace and kubernetes.name must name the HostedCluster");
        }
        return hc;
    }

    static KubernetesClient client(KubernetesClients clients, RestoreRun run) {
        return clients.forCluster(run.cluster())
                .orElseThrow(() -> new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "cluster '" + run.cluster().id()
                                + "' has no Kubernetes API configured (kubernetes.kubeconfig)"));
    }

    /**
     * HyperShift's own derivation ({@code manifests.HostedControlPlaneNamespace}):
     * {@code <HostedCluster namespace>-<name>}, dots in the name turned into hyphens — a HostedCluster
     * name may hold dots, a namespace may not.
     */
    static String controlPlaneNamespace(KubernetesSpec hc) {
        return hc.namespace() + "-" + hc.name().replace('.', '-');
    }

    static Resource<GenericKubernetesResource> resource(KubernetesClient client, KubernetesSpec hc) {
        return client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace(hc.namespace())
                .withName(hc.name());
    }

    static GenericKubernetesResource require(KubernetesClient client, KubernetesSpec hc) {
        GenericKubernetesResource found = resource(client, hc).get();
        if (found == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED, "HostedCluster " + hc.namespace() + "/" + hc.name() + " not found");
        }
        return found;
    }

    static String pause(KubernetesClient client, KubernetesSpec hc, RestoreRun run) {
        String before = ControlPlane.text(require(client, hc).getAdditionalProperties(), "spec", "pausedUntil");
        run.remember("hostedcluster.pausedUntil", before == null ? "" : before);
        resource(client, hc).edit(r -> {
            spec(r).put("pausedUntil", "true");
            return r;
        });
        return "paused (was " + (before == null ? "not paused" : before) + ")";
    }

    /** A HostedCluster found paused before the restore stays paused after it, and the plan says so. */
    static void notePaused(KubernetesClient client, KubernetesSpec hc, RestoreRun run) {
        if (run.fact("hostedcluster.pausedUntil").isPresent()) {
            return;
        }
        String found = ControlPlane.text(require(client, hc).getAdditionalProperties(), "spec", "pausedUntil");
        if (found != null && !found.isEmpty()) {
            run.note("HostedCluster " + hc.namespace() + "/" + hc.name() + " was found paused (pausedUntil " + found
                    + "): it is paused again as found after the restore; unpause it yourself if that was not intended");
        }
    }

    /** Empty while the HostedCluster is still paused by the restore. */
    static java.util.Optional<String> changedFromPaused(KubernetesClient client, KubernetesSpec hc) {
        String now = ControlPlane.text(require(client, hc).getAdditionalProperties(), "spec", "pausedUntil");
        return "true".equals(now)
                ? java.util.Optional.empty()
                : java.util.Optional.of("HostedCluster " + hc.namespace() + "/" + hc.name()
                        + " is no longer paused (pausedUntil " + now + ")");
    }

    static String unpause(KubernetesClient client, KubernetesSpec hc, RestoreRun run) {
        String before = run.fact("hostedcluster.pausedUntil").orElse("");
        resource(client, hc).edit(r -> {
            if (before.isEmpty()) {
                spec(r).remove("pausedUntil");
            } else {
                spec(r).put("pausedUntil", before);
            }
            return r;
        });
        return before.isEmpty() ? "unpaused" : "pausedUntil back to " + before;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().computeIfAbsent("spec", k -> new LinkedHashMap<>());
    }

    /**
     * {@code --bump-revision --mark-compacted} when the fleet asks for it, or when the image's etcdutl
     * has it (≥ 3.5.10) and the fleet does not forbid it; none otherwise (the step's detail says so).
     */
    static List<String> bumpRevisionFlags(RestoreSpec spec, String image) {
        Boolean wanted = spec == null ? null : spec.bumpRevision();
        boolean supported = false;
        Matcher tag = ETCD_TAG.matcher(image == null ? "" : image);
        if (tag.find()) {
            int major = Integer.parseInt(tag.group(1));
            int minor = Integer.parseInt(tag.group(2));
            int patch = Integer.parseInt(tag.group(3));
            supported = major > 3 || (major == 3 && (minor > 5 || (minor == 5 && patch >= 10)));
        }
        if (Boolean.TRUE.equals(wanted) || (wanted == null && supported)) {
            return List.of("--bump-revision", BUMP, "--mark-compacted");
        }
        return List.of();
    }
}
