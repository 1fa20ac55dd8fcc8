package io.etcdguardian.common.fleet;

/**
 * What restore-service needs beyond the control plane's own objects. {@code localDir}: the directory
 * of a local etcd cluster as local-etcd lays it out (target {@code local}). {@code etcdImage}: the
 * image of the restore Job (hosted-onprem; default: the etcd StatefulSet's own). {@code bumpRevision}:
 * restore with {@code --bump-revision/--mark-compacted} (null = when the etcdutl/etcdctl version has
 * them). {@code memberName}, {@code dataDir}: the member name and data directory of a kubeadm node;
 * {@code members}: every stacked etcd member of a kubeadm control plane (its node name and peer URL),
 * all restored from the same snapshot.
 * {@code apiServerReplicas}: the replicas API servers get back when a restore finds them at 0 (the
 * cluster's intended state, where the state found is degraded). {@code hostedClusterManifest}: a
 * file holding the HostedCluster to create when restoring a hosted cluster on AWS (the output of
 * {@code hcp create cluster aws --render}); without it, the HostedCluster found is saved and created again.
 */
public record RestoreSpec(
        String localDir,
        String etcdImage,
        Boolean bumpRevision,
        String memberName,
        String dataDir,
        Integer apiServerReplicas,
        java.util.List<Member> members,
        String hostedClusterManifest) {
    public RestoreSpec {
        members = members == null ? java.util.List.of() : java.util.List.copyOf(members);
    }

    public RestoreSpec(
            String localDir,
            String etcdImage,
            Boolean bumpRevision,
            String memberName,
            String dataDir,
            Integer apiServerReplicas) {
        this(localDir, etcdImage, bumpRevision, memberName, dataDir, apiServerReplicas, null, null);
    }

    public RestoreSpec(
            String localDir,
            String etcdImage,
            Boolean bumpRevision,
            String memberName,
            String dataDir,
            Integer apiServerReplicas,
            java.util.List<Member> members) {
        this(localDir, etcdImage, bumpRevision, memberName, dataDir, apiServerReplicas, members, null);
    }

    /** A stacked etcd member: the node's name (kubeadm names the member after it) and its peer URL. */
    public record Member(String name, String peerUrl) {}
}
