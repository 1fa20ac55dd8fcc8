package io.etcdguardian.restore.procedure.hosted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HostedCluster a hosted-aws restore creates, from the rendered output or from the object found. */
class HostedClusterManifestTest {
    private static final KubernetesSpec HC = new KubernetesSpec("hosted-aws", "clusters", "hc2", null);

    @TempDir
    Path dir;

    @Test
    void takesTheHostedClusterOfARenderedFileAndItsRelease() throws Exception {
        // what hcp create cluster aws --render prints: the namespace, secrets, the HostedCluster, its NodePool
        Path rendered = Files.writeString(dir.resolve("rendered.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: clusters}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: hc2-etcd-encryption-key, namespace: clusters}
                data: {key: c2VjcmV0}
                ---
                apiVersion: hypershift.openshift.io/v1beta1
                kind: HostedCluster
                metadata: {name: hc2, namespace: clusters}
                spec:
                  release: {image: "quay.io/openshift-release-dev/ocp-release:4.14.12-multi"}
                  pausedUntil: "true"
                  etcd:
                    managementType: Managed
                    managed: {storage: {type: PersistentVolume, restoreSnapshotURL: ["https://old"]}}
                  secretEncryption: {type: aescbc, aescbc: {activeKey: {name: hc2-etcd-encryption-key}}}
                ---
                apiVersion: hypershift.openshift.io/v1beta1
                kind: NodePool
                metadata: {name: hc2-us-east-1a, namespace: clusters}
                """);
        String json = HostedClusterManifest.fromRendered(rendered, HC);
        GenericKubernetesResource hc = HostedClusterManifest.parse(json);
        assertThat(hc.getKind()).isEqualTo("HostedCluster");
        assertThat(ControlPlane.text(
                        hc.getAdditionalProperties(), "spec", "secretEncryption", "aescbc", "activeKey", "name"))
                .isEqualTo("hc2-etcd-encryption-key");
        assertThat(ControlPlane.at(hc.getAdditionalProperties(), "spec", "pausedUntil"))
                .as("created paused, etcd would never start")
                .isNull();
        assertThat(ControlPlane.at(
                        hc.getAdditionalProperties(), "spec", "etcd", "managed", "storage", "restoreSnapshotURL"))
                .as("the restore sets its own")
                .isNull();
        assertThat(HostedClusterManifest.releaseVersion(json)).contains("4.14.12");
        assertThat(json).doesNotContain("c2VjcmV0");

        assertThatThrownBy(() -> HostedClusterManifest.fromRendered(
                        rendered, new KubernetesSpec("hosted-aws", "clusters", "hc3", null)))
                .hasMessageContaining("has no HostedCluster clusters/hc3");
        assertThatThrownBy(() -> HostedClusterManifest.fromRendered(dir.resolve("missing.yaml"), HC))
                .hasMessageContaining("cannot be read");
    }

    @Test
    void theObjectFoundLosesWhatTheApiServerOwns() {
        GenericKubernetesResource live = Serialization.unmarshal("""
                {"apiVersion": "hypershift.openshift.io/v1beta1", "kind": "HostedCluster",
                 "metadata": {"name": "hc2", "namespace": "clusters", "uid": "u-1", "resourceVersion": "42",
                   "finalizers": ["hypershift.openshift.io/finalizer"], "labels": {"team": "a"},
                   "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "note": "kept"}},
                 "spec": {"release": {"image": "quay.io/openshift-release-dev/ocp-release@sha256:abc"},
                   "platform": {"type": "AWS"}},
                 "status": {"version": {"history": [{"state": "Completed", "version": "4.14.12"}]}}}
                """, GenericKubernetesResource.class);
        GenericKubernetesResource copy = HostedClusterManifest.parse(HostedClusterManifest.fromLive(live));
        assertThat(copy.getMetadata().getUid()).isNull();
        assertThat(copy.getMetadata().getResourceVersion()).isNull();
        assertThat(copy.getMetadata().getFinalizers()).isNullOrEmpty();
        assertThat(copy.getMetadata().getLabels()).containsEntry("team", "a");
        assertThat(copy.getMetadata().getAnnotations()).containsOnlyKeys("note");
        assertThat(copy.getAdditionalProperties()).doesNotContainKey("status");
        assertThat(ControlPlane.text(copy.getAdditionalProperties(), "spec", "platform", "type"))
                .isEqualTo("AWS");
        assertThat(HostedClusterManifest.releaseVersion(HostedClusterManifest.fromLive(live)))
                .as("a digest-pinned release names no version")
                .isEmpty();
    }
}
