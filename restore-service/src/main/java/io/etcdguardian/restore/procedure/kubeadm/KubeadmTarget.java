package io.etcdguardian.restore.procedure.kubeadm;

import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.etcdguardian.restore.procedure.RestoreTarget;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.List;

/**
 * A kubeadm / static-pod control plane (seed blog): the service stages the snapshot; the rest runs
 * on the control-plane host, so it is handed over as exact commands — stop the API server by moving
 * its manifest away, restore into a new data dir, point the etcd manifest's data hostPath at it
 * (kubelet restarts etcd), bring the API server back. The old data dir is left untouched.
 */
@Singleton
public class KubeadmTarget implements RestoreTarget {
    private final SnapshotStaging staging;

    public KubeadmTarget(SnapshotStaging staging) {
        this.staging = staging;
    }

    @Override
    public String kind() {
        return "kubeadm";
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        RestoreSpec spec = run.cluster().restore();
        String dataDir = spec != null && spec.dataDir() != null ? spec.dataDir() : "/var/lib/etcd";
        String endpoint = run.cluster().etcd().endpoints().get(0);
        String host = URI.create(endpoint).getHost();
        String name = spec != null && spec.memberName() != null ? spec.memberName() : host;
        String peer = "https://" + host + ":2380";
        String id = run.shortId();
        String file = "/var/lib/etcd-snapshot-" + id + ".db";
        String restored = dataDir + "-restore-" + id;
        String stopped = "/etc/kubernetes/kube-apiserver.yaml.stopped-" + id;
        String object = "s3://" + run.cluster().store().bucket() + "/" + staging.stagedKey(run);
        return List.of(
                new RestoreStep("stage-snapshot", "upload the checked raw snapshot for the host to fetch",
                        List.of(object), r -> "staged " + staging.upload(r)),
                RestoreStep.manual("stop-api-server", "on the control-plane host: kubelet stops the API server",
                        List.of("mv /etc/kubernetes/manifests/kube-apiserver.yaml " + stopped)),
                RestoreStep.manual("fetch-snapshot", "on the host, with credentials that may read the bucket",
                        List.of("aws s3 cp " + object + " " + file)),
                RestoreStep.manual("restore-data", "on the host: a new data dir, the old one untouched",
                        List.of("ETCDCTL_API=3 etcdctl snapshot restore " + file + " --data-dir " + restored
                                + " --name " + name + " --initial-cluster " + name + "=" + peer
                                + " --initial-advertise-peer-urls " + peer)),
                RestoreStep.manual("point-etcd-at-it", "the etcd manifest's etcd-data hostPath; kubelet restarts etcd",
                        List.of("sed -i 's#path: " + dataDir + "$#path: " + restored + "#' /etc/kubernetes/manifests/etcd.yaml",
                                "crictl ps --name etcd   # wait until etcd runs again")),
                RestoreStep.manual("start-api-server", "on the host: kubelet starts the API server",
                        List.of("mv " + stopped + " /etc/kubernetes/manifests/kube-apiserver.yaml", "rm " + file,
                                "kubectl get --raw /readyz")));
    }
}
