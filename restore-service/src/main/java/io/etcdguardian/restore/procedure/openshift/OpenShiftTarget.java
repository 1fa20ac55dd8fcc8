package io.etcdguardian.restore.procedure.openshift;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.procedure.hosted.KubernetesWaits;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenShift self-managed, after the host-side restore on the recovery host (cluster-restore.sh):
 * force a new revision of etcd, kube-apiserver, kube-controller-manager and kube-scheduler
 * ({@code forceRedeploymentReason}), wait until every one reports AllNodesAtLatestRevision, and list
 * the certificate signing requests left pending for an operator to approve.
 */
@Singleton
public class OpenShiftTarget implements RestoreTarget {
    static final List<ResourceDefinitionContext> OPERATORS = List.of(ControlPlane.ETCD_OPERATOR,
            ControlPlane.KUBE_API_SERVER_OPERATOR, ControlPlane.KUBE_CONTROLLER_MANAGER_OPERATOR,
            ControlPlane.KUBE_SCHEDULER_OPERATOR);

    private final KubernetesClients kubernetes;
    private final KubernetesWaits waits;

    public OpenShiftTarget(KubernetesClients kubernetes, KubernetesWaits waits) {
        this.kubernetes = kubernetes;
        this.waits = waits;
    }

    @Override
    public String kind() {
        return "openshift";
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        KubernetesClient client = kubernetes.forCluster(run.cluster()).orElseThrow(() -> new GuardianException(
                Reason.PRECONDITION_FAILED, "cluster '" + run.cluster().id() + "' has no Kubernetes API configured"));
        String reason = "etcd-guardian-restore-" + run.shortId();
        return List.of(
                new RestoreStep("force-redeployment", "after cluster-restore.sh ran on the recovery host: roll out a"
                        + " new revision of each control-plane operand",
                        OPERATORS.stream().map(c -> c.getPlural() + ".operator.openshift.io/cluster"
                                + " spec.forceRedeploymentReason=" + reason).toList(), r -> {
                            for (ResourceDefinitionContext operator : OPERATORS) {
                                client.genericKubernetesResources(operator).withName("cluster").edit(res -> {
                                    spec(res).put("forceRedeploymentReason", reason);
                                    return res;
                                });
                            }
                            return "forceRedeploymentReason=" + reason + " on " + OPERATORS.size() + " operators";
                        }),
                new RestoreStep("await-revisions", "wait until every node runs the latest revision of each",
                        OPERATORS.stream().map(c -> c.getPlural() + ".operator.openshift.io/cluster status").toList(),
                        r -> {
                            for (ResourceDefinitionContext operator : OPERATORS) {
                                waits.until(operator.getKind() + " at AllNodesAtLatestRevision",
                                        () -> atLatest(client.genericKubernetesResources(operator).withName("cluster").get()),
                                        () -> String.valueOf(ControlPlane.list(client.genericKubernetesResources(operator)
                                                .withName("cluster").get().getAdditionalProperties(), "status", "conditions")));
                            }
                            return "all nodes at the latest revision";
                        }),
                new RestoreStep("pending-csrs", "list certificate signing requests waiting for approval",
                        List.of("certificatesigningrequests.certificates.k8s.io"), r -> {
                            List<String> pending = client.certificates().v1().certificateSigningRequests().list()
                                    .getItems().stream().filter(OpenShiftTarget::pending)
                                    .map(c -> c.getMetadata().getName()).sorted().toList();
                            return pending.isEmpty() ? "no pending CSRs" : pending.size() + " pending CSR(s) to approve"
                                    + " (oc adm certificate approve " + String.join(" ", pending) + ")";
                        }));
    }

    private static boolean atLatest(GenericKubernetesResource operator) {
        return operator != null && ControlPlane.list(operator.getAdditionalProperties(), "status", "conditions").stream()
                .anyMatch(c -> "NodeInstallerProgressing".equals(c.get("type"))
                        && "AllNodesAtLatestRevision".equals(c.get("reason")));
    }

    private static boolean pending(CertificateSigningRequest csr) {
        return csr.getStatus() == null || csr.getStatus().getConditions() == null
                || csr.getStatus().getConditions().isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().computeIfAbsent("spec", k -> new LinkedHashMap<>());
    }
}
