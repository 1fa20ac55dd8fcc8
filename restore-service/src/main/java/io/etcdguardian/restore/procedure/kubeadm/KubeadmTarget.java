package io.etcdguardian.restore.procedure.kubeadm;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.stage.SnapshotStaging;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A kubeadm / static-pod control plane (seed blog): the service stages the snapshot; the rest runs on
 * the control-plane nodes, so it is handed over as exact commands, node by node and in order: stop the
 * API server and etcd everywhere (their manifests moved away), fetch the staged snapshot through a
 * short-lived URL ({@code guardianctl restore-url}: no store credentials on a host), restore every
 * stacked member from the same snapshot with its own {@code --name} (the node name) and peer URL and
 * the full {@code --initial-cluster}, into a new data dir — the old one untouched — with the revision
 * bumped past anything a client saw (etcdutl 3.5+), point each etcd manifest's data hostPath at it,
 * and bring etcd, then the API servers, back.
 */
@Singleton
public class KubeadmTarget implements RestoreTarget {
    /** Past any revision a client (an informer's resourceVersion) can have seen: watches relist instead of hanging. */
    static final String BUMP = "1000000000";

    private final SnapshotStaging staging;

    public KubeadmTarget(SnapshotStaging staging) {
        this.staging = staging;
    }

    @Override
    public ControlPlaneKind kind() {
        return ControlPlaneKind.KUBEADM;
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        RestoreSpec spec = run.cluster().restore();
        String dataDir = spec != null && spec.dataDir() != null ? spec.dataDir() : "/var/lib/etcd";
        List<RestoreSpec.Member> members = members(run);
        String initialCluster =
                members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
        String id = run.shortId();
        String file = URI.create("file://" + dataDir).resolve(".").getPath() + "etcd-snapshot-" + id + ".db";
        String restored = dataDir + "-restore-" + id;
        String stoppedApi = "/etc/kubernetes/kube-apiserver.yaml.stopped-" + id;
        String stoppedEtcd = "/etc/kubernetes/etcd.yaml.stopped-" + id;
        String url = "\"$(guardianctl restore-url " + run.cluster().id() + " " + run.restoreId() + ")\"";
        boolean etcdutl = run.manifest().etcdVersion() == null
                || !run.manifest().etcdVersion().startsWith("3.4");
        boolean bump = etcdutl && (spec == null || !Boolean.FALSE.equals(spec.bumpRevision()));
        String tool = etcdutl ? "etcdutl" : "ETCDCTL_API=3 etcdctl";

        List<RestoreStep> steps = new ArrayList<>();
        steps.add(new RestoreStep(
                "stage-snapshot",
                "upload the checked raw snapshot (encrypted at rest) for the nodes" + " to fetch",
                List.of("s3://" + run.cluster().store().bucket() + "/" + staging.stagedKey(run)),
                r -> "staged " + staging.upload(r)));
        for (RestoreSpec.Member m : members) {
            steps.add(RestoreStep.manual(
                    "stop-" + m.name(),
                    "on node " + m.name() + ": kubelet stops the API server"
                            + " and etcd (their manifests moved away); wait until crictl lists neither",
                    List.of(
                            "mv /etc/kubernetes/manifests/kube-apiserver.yaml " + stoppedApi,
                            "mv /etc/kubernetes/manifests/etcd.yaml " + stoppedEtcd,
                            "crictl ps --name 'etcd|kube-apiserver'   # until empty")));
        }
        for (RestoreSpec.Member m : members) {
            steps.add(RestoreStep.manual(
                    "fetch-" + m.name(),
                    "on node " + m.name() + ": the staged snapshot through a"
                            + " short-lived URL (guardianctl restore-url, role restore); no store credentials on the host",
                    List.of("curl -fsS -o " + file + " " + url)));
        }
        for (RestoreSpec.Member m : members) {
            steps.add(RestoreStep.manual(
                    "restore-data-" + m.name(),
                    "on node " + m.name() + ": member " + m.name()
                            + " of the restored cluster, in a new data dir; the old one is untouched",
                    List.of(tool + " snapshot restore " + file + " --data-dir " + restored + " --name " + m.name()
                            + " --initial-cluster " + initialCluster + " --initial-cluster-token etcd-guardian-" + id
                            + " --initial-advertise-peer-urls " + m.peerUrl()
                            + (bump ? " --bump-revision " + BUMP + " --mark-compacted" : ""))));
        }
        for (RestoreSpec.Member m : members) {
            steps.add(RestoreStep.manual(
                    "start-etcd-" + m.name(),
                    "on node " + m.name() + ": the etcd manifest's"
                            + " etcd-data hostPath now names the restored dir; kubelet starts etcd",
                    List.of(
                            "sed -i 's#path: " + dataDir + "$#path: " + restored + "#' " + stoppedEtcd,
                            "mv " + stoppedEtcd + " /etc/kubernetes/manifests/etcd.yaml",
                            "crictl ps --name etcd   # until etcd runs")));
        }
        for (RestoreSpec.Member m : members) {
            steps.add(RestoreStep.manual(
                    "start-api-server-" + m.name(),
                    "on node " + m.name() + ": kubelet starts the API server once etcd has quorum",
                    List.of(
                            "mv " + stoppedApi + " /etc/kubernetes/manifests/kube-apiserver.yaml",
                            "rm " + file,
                            "kubectl get --raw /readyz")));
        }
        return steps;
    }

    /**
     * The stacked members: the fleet's {@code restore.members}, else the one node of a single-endpoint
     * cluster (named {@code memberName}, else its host). A multi-member cluster without the list is
     * refused: guessing node names would restore members that never find each other.
     */
    static List<RestoreSpec.Member> members(RestoreRun run) {
        RestoreSpec spec = run.cluster().restore();
        if (spec != null && !spec.members().isEmpty()) {
            return spec.members();
        }
        List<String> endpoints = run.cluster().etcd().endpoints();
        if (endpoints.size() > 1) {
            throw new GuardianException(
                    Reason.INVALID_CONFIG,
                    "cluster " + run.cluster().id() + " has " + endpoints.size()
                            + " etcd members: list them under restore.members (node name and peer URL of each), every stacked"
                            + " member is restored from the same snapshot");
        }
        String host = URI.create(endpoints.get(0)).getHost();
        String name = spec != null && spec.memberName() != null ? spec.memberName() : host;
        return List.of(new RestoreSpec.Member(name, "https://" + host + ":2380"));
    }
}
