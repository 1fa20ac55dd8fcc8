package io.etcdguardian.restore.procedure.openshift;

import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.procedure.hosted.KubernetesWaits;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A forced new revision of one static-pod operand (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler) and the wait until every node runs it. Done by comparing revisions, not by the
 * {@code AllNodesAtLatestRevision} condition: right after the patch that condition still describes
 * the old revision, and a wait on it would go on to the next operand too early.
 */
final class OperandRollout {
    private final KubernetesClient client;
    private final KubernetesWaits waits;
    private final ResourceDefinitionContext operator;

    OperandRollout(KubernetesClient client, KubernetesWaits waits, ResourceDefinitionContext operator) {
        this.client = client;
        this.waits = waits;
        this.operator = operator;
    }

    String touches(String reason) {
        return operator.getPlural() + ".operator.openshift.io/cluster spec.forceRedeploymentReason=" + reason
                + "; wait until every status.nodeStatuses[].currentRevision is the new status.latestAvailableRevision";
    }

    /** Patches the reason (the same value again is a no-op) and waits for every node to run the new revision. */
    String run(RestoreRun run, String reason) {
        // remembered before the patch: a resumed step still waits for a revision newer than the one before it
        long before =
                Long.parseLong(run.remember(operator.getPlural() + ".revisionBefore", String.valueOf(latest(get()))));
        client.genericKubernetesResources(operator).withName("cluster").edit(r -> {
            spec(r).put("forceRedeploymentReason", reason);
            return r;
        });
        waits.until(
                operator.getKind() + " at a revision newer than " + before + " on every node",
                () -> rolledOut(get(), before),
                () -> nodes(get()));
        GenericKubernetesResource now = get();
        return operator.getKind() + ": "
                + ControlPlane.list(now.getAdditionalProperties(), "status", "nodeStatuses")
                        .size() + " node(s) at revision " + latest(now) + " (was " + before + ")";
    }

    private GenericKubernetesResource get() {
        return client.genericKubernetesResources(operator).withName("cluster").get();
    }

    static boolean rolledOut(GenericKubernetesResource operand, long before) {
        long latest = latest(operand);
        List<Map<String, Object>> nodes =
                ControlPlane.list(operand.getAdditionalProperties(), "status", "nodeStatuses");
        return latest > before
                && !nodes.isEmpty()
                && nodes.stream().allMatch(n -> number(n.get("currentRevision")) == latest);
    }

    static long latest(GenericKubernetesResource operand) {
        return operand == null
                ? 0
                : number(ControlPlane.at(operand.getAdditionalProperties(), "status", "latestAvailableRevision"));
    }

    private static String nodes(GenericKubernetesResource operand) {
        return "latestAvailableRevision " + latest(operand) + "; "
                + ControlPlane.list(operand.getAdditionalProperties(), "status", "nodeStatuses").stream()
                        .map(n -> n.get("nodeName") + " at " + n.get("currentRevision"))
                        .collect(Collectors.joining(", "));
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().computeIfAbsent("spec", k -> new LinkedHashMap<>());
    }
}
