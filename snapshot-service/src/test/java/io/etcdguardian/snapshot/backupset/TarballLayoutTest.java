package io.etcdguardian.snapshot.backupset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's upload is taken in only when it is what cluster-restore.sh extracts: one running revision
 * of each of the four static pods under static-pod-resources/, nothing else. Tarballs made by the
 * real tar, as the node makes them.
 */
class TarballLayoutTest {
    @TempDir
    Path dir;

    @Test
    void acceptsOneRevisionOfEachStaticPodInClusterBackupsOrder() throws Exception {
        Path tarball = tar(
                "static-pod-resources/etcd-pod-3",
                "static-pod-resources/kube-scheduler-pod-6",
                "static-pod-resources/kube-apiserver-pod-12",
                "static-pod-resources/kube-controller-manager-pod-7");
        assertThat(StaticResourcesLayout.of(tarball))
                .containsExactly(
                        "static-pod-resources/kube-apiserver-pod-12",
                                "static-pod-resources/kube-controller-manager-pod-7",
                        "static-pod-resources/kube-scheduler-pod-6", "static-pod-resources/etcd-pod-3");
    }

    @Test
    void refusesAMissingPodASecondRevisionStrayFilesAndNonTarballs() throws Exception {
        assertThatThrownBy(() -> StaticResourcesLayout.of(tar(
                        "static-pod-resources/etcd-pod-3",
                        "static-pod-resources/kube-apiserver-pod-12",
                        "static-pod-resources/kube-controller-manager-pod-7")))
                .hasMessageContaining("missing [kube-scheduler]");
        assertThatThrownBy(() -> StaticResourcesLayout.of(tar(
                        "static-pod-resources/etcd-pod-3",
                        "static-pod-resources/etcd-pod-2",
                        "static-pod-resources/kube-scheduler-pod-6",
                        "static-pod-resources/kube-apiserver-pod-12",
                        "static-pod-resources/kube-controller-manager-pod-7")))
                .hasMessageContaining("a second revision of etcd");
        assertThatThrownBy(() -> StaticResourcesLayout.of(tar(
                        "static-pod-resources/etcd-pod-3",
                        "static-pod-resources/etcd-certs",
                        "static-pod-resources/kube-scheduler-pod-6",
                        "static-pod-resources/kube-apiserver-pod-12",
                        "static-pod-resources/kube-controller-manager-pod-7")))
                .hasMessageContaining("unexpected [static-pod-resources/etcd-certs");
        Path notGzip = Files.writeString(dir.resolve("plain.tar.gz"), "<Error><Code>AccessDenied</Code></Error>");
        assertThatThrownBy(() -> StaticResourcesLayout.of(notGzip)).isInstanceOf(java.io.IOException.class);
    }

    private Path tar(String... dirs) throws Exception {
        Path root = Files.createTempDirectory(dir, "etc");
        for (String d : dirs) {
            Files.createDirectories(root.resolve(d).resolve("configmaps"));
            Files.writeString(root.resolve(d).resolve("configmaps/data"), d);
        }
        Path out = Files.createTempFile(dir, "set", ".tar.gz");
        Process p = new ProcessBuilder(java.util.stream.Stream.concat(
                                List.of("tar", "-cpzf", out.toString(), "-C", root.toString()).stream(),
                                List.of(dirs).stream())
                        .toList())
                .inheritIO()
                .start();
        assertThat(p.waitFor()).isZero();
        return out;
    }
}
