package io.etcdguardian.common.snapshot;

import io.etcdguardian.common.event.Ids;
import io.etcdguardian.common.fleet.ClusterSpec;

/**
 * The object layout of one cluster: {@code <prefix><cluster>/snapshots/<id>.db[.zst][.enc]} and
 * {@code <prefix><cluster>/manifests/<id>.json}. Snapshot ids start with the UTC time they were
 * taken ({@code 20261123T060004Z-…}), so a listing sorts by age.
 */
public final class SnapshotKeys {
    private SnapshotKeys() {}

    public static String clusterPrefix(ClusterSpec cluster) {
        return cluster.store().prefixOrEmpty() + Ids.cluster(cluster.id(), "cluster id") + "/";
    }

    public static String manifestsPrefix(ClusterSpec cluster) {
        return clusterPrefix(cluster) + "manifests/";
    }

    public static String snapshotsPrefix(ClusterSpec cluster) {
        return clusterPrefix(cluster) + "snapshots/";
    }

    public static String manifest(ClusterSpec cluster, String snapshotId) {
        return manifestsPrefix(cluster) + Ids.id(snapshotId, "snapshot id") + ".json";
    }

    public static String object(ClusterSpec cluster, String snapshotId, String compression, boolean encrypted) {
        return snapshotsPrefix(cluster) + Ids.id(snapshotId, "snapshot id") + ".db"
                + ("zstd".equals(compression) ? ".zst" : "") + (encrypted ? ".enc" : "");
    }

    /** An OpenShift backup set's tarball, beside its snapshot (its id up to the first dot, like the snapshot's). */
    public static String staticResources(ClusterSpec cluster, String snapshotId, boolean encrypted) {
        return snapshotsPrefix(cluster) + Ids.id(snapshotId, "snapshot id") + ".static_kuberesources.tar.gz"
                + (encrypted ? ".enc" : "");
    }

    /** Where a node's Job uploads a backup set's tarball through a presigned URL, until it is checked and stored. */
    public static String stagedStaticResources(ClusterSpec cluster, String snapshotId) {
        return stagingPrefix(cluster) + Ids.id(snapshotId, "snapshot id") + "/static_kuberesources.tar.gz";
    }

    /** Uploads from a cluster waiting to be taken in: emptied by each snapshot of the cluster, and by retention. */
    public static String stagingPrefix(ClusterSpec cluster) {
        return clusterPrefix(cluster) + "staging/";
    }

    /** A raw copy of a snapshot staged for one restore (fetched by a Job or a host through a presigned URL). */
    public static String staged(ClusterSpec cluster, String restoreId) {
        return restoresPrefix(cluster) + Ids.id(restoreId, "restore id") + "/snapshot.db";
    }

    /** Where a cluster's staged restore copies are, one directory per restore id. */
    public static String restoresPrefix(ClusterSpec cluster) {
        return clusterPrefix(cluster) + "restores/";
    }

    /** The snapshot id an object or manifest key belongs to. */
    public static String snapshotIdOf(String key) {
        String name = key.substring(key.lastIndexOf('/') + 1);
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }
}
