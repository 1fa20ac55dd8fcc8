package io.etcdguardian.restore.procedure.openshift;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.procedure.hosted.KubernetesWaits;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * OpenShift self-managed, in the order of Red Hat's procedure (the seed). The host part is handed
 * over as a checklist — the recovery host, the backup directory, the static pods stopped elsewhere,
 * {@code cluster-restore.sh}, kubelet restarted — because it runs with the API down, on hosts this
 * service cannot reach. The operator resumes the restore when it is done ({@code --resume}); then
 * this service drives the API part: approve the kubelets' CSRs until the control-plane nodes are
 * Ready, wait for the recovery host's etcd, roll out etcd, kube-apiserver, kube-controller-manager
 * and kube-scheduler one after the other (each waited for by revision), and check that every
 * control-plane node runs an etcd member again.
 */
@Singleton
public class OpenShiftTarget implements RestoreTarget {
    static final List<ResourceDefinitionContext> OPERATORS = List.of(
            ControlPlane.ETCD_OPERATOR,
            ControlPlane.KUBE_API_SERVER_OPERATOR,
            ControlPlane.KUBE_CONTROLLER_MANAGER_OPERATOR,
            ControlPlane.KUBE_SCHEDULER_OPERATOR);
    static final String ETCD_NAMESPACE = "openshift-etcd";
    static final String BACKUP_DIR = "/home/core/backup";
    private static final List<String> CONTROL_PLANE_ROLES =
            List.of("node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane");

    private final KubernetesClients kubernetes;
    private final KubernetesWaits waits;

    public OpenShiftTarget(KubernetesClients kubernetes, KubernetesWaits waits) {
        this.kubernetes = kubernetes;
        this.waits = waits;
    }

    @Override
    public ControlPlaneKind kind() {
        return ControlPlaneKind.OPENSHIFT;
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        KubernetesClient client = kubernetes
                .forCluster(run.cluster())
                .orElseThrow(() -> new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "cluster '" + run.cluster().id() + "' has no Kubernetes API configured"));
        String reason = "recovery-etcd-guardian-" + run.shortId();
        List<RestoreStep> steps = new ArrayList<>(hostSteps(run));
        KubeletCsrs csrs = new KubeletCsrs(client);
        steps.add(new RestoreStep(
                "approve-csrs",
                "approve the kubelets' pending CSRs (node-bootstrapper client"
                        + " certificates, nodes' serving certificates; no other signer) until every control-plane node is"
                        + " Ready",
                List.of(
                        "certificatesigningrequests.certificates.k8s.io (signer " + KubeletCsrs.CLIENT_SIGNER
                                + " by " + KubeletCsrs.NODE_BOOTSTRAPPER + ", signer " + KubeletCsrs.SERVING_SIGNER
                                + " by system:node:*)"
                                + " approve",
                        "nodes with " + String.join(" or ", CONTROL_PLANE_ROLES) + ": wait for Ready"),
                r -> {
                    Set<String> approved = new TreeSet<>();
                    waits.until(
                            "every control-plane node Ready (a node that stays NotReady: on it, sudo rm -f"
                                    + " /var/lib/kubelet/pki/*.pem && sudo systemctl restart kubelet.service, then resume)",
                            () -> {
                                approved.addAll(csrs.approvePending());
                                List<Node> nodes = controlPlaneNodes(client);
                                return !nodes.isEmpty() && nodes.stream().allMatch(OpenShiftTarget::ready);
                            },
                            () -> notReady(client));
                    List<String> others = csrs.othersPending();
                    return (approved.isEmpty() ? "no CSR to approve" : "approved " + String.join(" ", approved))
                            + "; " + controlPlaneNodes(client).size() + " control-plane node(s) Ready"
                            + (others.isEmpty()
                                    ? ""
                                    : "; left pending for an operator (other signers): " + String.join(" ", others));
                }));
        steps.add(new RestoreStep(
                "await-recovery-etcd",
                "the single restored etcd member runs on the recovery host",
                List.of("pods -n " + ETCD_NAMESPACE + " -l app=etcd: one Running and Ready"),
                r -> {
                    waits.until(
                            "an etcd pod Running and Ready in " + ETCD_NAMESPACE,
                            () -> !runningMembers(client).isEmpty(),
                            () -> "none");
                    return "etcd running on " + String.join(", ", runningMembers(client));
                }));
        for (ResourceDefinitionContext operator : OPERATORS) {
            OperandRollout rollout = new OperandRollout(client, waits, operator);
            steps.add(new RestoreStep(
                    "redeploy-" + operand(operator),
                    "force a new revision of " + operand(operator) + " and wait until every node runs it",
                    List.of(rollout.touches(reason)),
                    r -> rollout.run(r, reason)));
        }
        steps.add(new RestoreStep(
                "await-members",
                "every control-plane node runs an etcd member again",
                List.of("pods -n " + ETCD_NAMESPACE + " -l app=etcd: Running and Ready on every control-plane node"),
                r -> {
                    waits.until(
                            "an etcd member Running and Ready on every control-plane node",
                            () -> missingMembers(client).isEmpty(),
                            () -> "missing on " + missingMembers(client));
                    return "etcd members on " + String.join(", ", runningMembers(client));
                }));
        return steps;
    }

    /** The seed's host steps, exactly, for an operator with an SSH session on every control-plane host. */
    private static List<RestoreStep> hostSteps(RestoreRun run) {
        String cluster = run.cluster().id();
        String snapshot = run.manifest().snapshotId();
        return List.of(
                RestoreStep.manual(
                        "recovery-host",
                        "choose one control-plane host as the recovery host and open an SSH"
                                + " session to every control-plane host now: the API goes away during the restore",
                        List.of("ssh core@<each control-plane host>")),
                RestoreStep.manual(
                        "copy-backup",
                        "on the recovery host: the backup directory, as cluster-restore.sh"
                                + " reads it (snapshot_<ts>.db and static_kuberesources_<ts>.tar.gz of the same backup)",
                        List.of("guardianctl snapshots get " + cluster + " " + snapshot + " --dir " + BACKUP_DIR)),
                RestoreStep.manual(
                        "stop-static-pods",
                        "on every control-plane host but the recovery host: stop etcd and"
                                + " the API server and move the etcd data away (each crictl check prints nothing once stopped)",
                        List.of(
                                "sudo mv /etc/kubernetes/manifests/etcd-pod.yaml /tmp",
                                "sudo crictl ps | grep etcd | grep -v operator",
                                "sudo mv /etc/kubernetes/manifests/kube-apiserver-pod.yaml /tmp",
                                "sudo crictl ps | grep kube-apiserver | grep -v operator",
                                "sudo mv /var/lib/etcd/ /tmp")),
                RestoreStep.manual(
                        "cluster-restore",
                        "on the recovery host (with a cluster-wide proxy, export"
                                + " HTTP_PROXY, HTTPS_PROXY and NO_PROXY first: oc get proxy cluster -o yaml)",
                        List.of("sudo -E /usr/local/bin/cluster-restore.sh " + BACKUP_DIR)),
                RestoreStep.manual(
                        "restart-kubelet",
                        "on every control-plane host, the recovery host first; then resume"
                                + " this restore (guardianctl restore " + cluster + " --resume " + run.restoreId()
                                + ")",
                        List.of("sudo systemctl restart kubelet.service")));
    }

    private static String operand(ResourceDefinitionContext operator) {
        return switch (operator.getPlural()) {
            case "etcds" -> "etcd";
            case "kubeapiservers" -> "kube-apiserver";
            case "kubecontrollermanagers" -> "kube-controller-manager";
            default -> "kube-scheduler";
        };
    }

    private static List<Node> controlPlaneNodes(KubernetesClient client) {
        return client.nodes().list().getItems().stream()
                .filter(n -> n.getMetadata().getLabels() != null
                        && CONTROL_PLANE_ROLES.stream().anyMatch(n.getMetadata().getLabels()::containsKey))
                .toList();
    }

    private static boolean ready(Node node) {
        return node.getStatus() != null
                && node.getStatus().getConditions() != null
                && node.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static String notReady(KubernetesClient client) {
        List<String> names = controlPlaneNodes(client).stream()
                .filter(n -> !ready(n))
                .map(n -> n.getMetadata().getName())
                .toList();
        return names.isEmpty() ? "no control-plane node found" : "NotReady: " + String.join(", ", names);
    }

    /** Nodes with an etcd member Running and Ready (the quorum guard's pods are not members). */
    private static List<String> runningMembers(KubernetesClient client) {
        return client.pods().inNamespace(ETCD_NAMESPACE).withLabel("app", "etcd").list().getItems().stream()
                .filter(OpenShiftTarget::runningAndReady)
                .map(p -> p.getSpec().getNodeName())
                .sorted()
                .toList();
    }

    private static List<String> missingMembers(KubernetesClient client) {
        List<String> running = runningMembers(client);
        List<Node> nodes = controlPlaneNodes(client);
        return nodes.isEmpty()
                ? List.of("(no control-plane node found)")
                : nodes.stream()
                        .map(n -> n.getMetadata().getName())
                        .filter(n -> !running.contains(n))
                        .sorted()
                        .toList();
    }

    private static boolean runningAndReady(Pod pod) {
        return pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase())
                && pod.getSpec() != null
                && pod.getSpec().getNodeName() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
