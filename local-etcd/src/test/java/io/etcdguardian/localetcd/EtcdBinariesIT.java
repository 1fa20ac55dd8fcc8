package io.etcdguardian.localetcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service images point GUARDIAN_ETCD_BIN_DIR at the binaries they carry; a wrong dir must say so. */
class EtcdBinariesIT {

    @AfterEach
    void clear() {
        System.clearProperty(EtcdBinaries.PROPERTY);
        System.clearProperty(EtcdBinaries.BY_MINOR_PROPERTY);
    }

    @Test
    void aConfiguredDirectoryIsUsedAndItsEtcdctlRuns(@TempDir Path dir) throws Exception {
        Path debian = EtcdBinaries.etcdctl().getParent();
        Files.createSymbolicLink(dir.resolve("etcd"), debian.resolve("etcd"));
        Files.createSymbolicLink(dir.resolve("etcdctl"), debian.resolve("etcdctl"));
        System.setProperty(EtcdBinaries.PROPERTY, dir.toString());

        assertThat(EtcdBinaries.etcd()).isEqualTo(dir.resolve("etcd"));
        Process version = new ProcessBuilder(List.of(EtcdBinaries.etcdctl().toString(), "version"))
                .redirectErrorStream(true)
                .start();
        assertThat(new String(version.getInputStream().readAllBytes())).contains("etcdctl version");
        assertThat(version.waitFor()).isZero();
    }

    @Test
    void aDirectoryWithoutTheBinariesIsAClearError(@TempDir Path empty) {
        System.setProperty(EtcdBinaries.PROPERTY, empty.toString());
        assertThatThrownBy(EtcdBinaries::etcdctl)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GUARDIAN_ETCD_BIN_DIR")
                .hasMessageContaining(empty.resolve("etcdctl").toString());
    }

    @Test
    void aSnapshotsMinorChoosesItsToolsWhenOneIsConfiguredAndEtcdutlReadsSnapshotsWhereThereIsOne(@TempDir Path dir)
            throws Exception {
        Path tools = EtcdBinaries.etcdctl().getParent();
        Path v35 = Files.createDirectories(dir.resolve("3.5"));
        for (String tool : List.of("etcd", "etcdctl")) {
            Files.createSymbolicLink(v35.resolve(tool), tools.resolve(tool));
        }
        System.setProperty(EtcdBinaries.BY_MINOR_PROPERTY, "3.4=/usr/bin, 3.5=" + v35);

        assertThat(EtcdBinaries.dirFor("3.5.35")).isEqualTo(v35);
        assertThat(EtcdBinaries.dirFor("v3.5.0")).isEqualTo(v35);
        assertThat(EtcdBinaries.dirFor("3.7.0"))
                .as("none configured: the default tools")
                .isEqualTo(tools);
        assertThat(EtcdBinaries.dirFor(null)).isEqualTo(tools);
        // no etcdutl in the 3.5 directory: etcdctl reads snapshots there (as on 3.4)
        assertThat(EtcdBinaries.snapshotToolIn(v35)).isEqualTo(v35.resolve("etcdctl"));
        Files.createSymbolicLink(v35.resolve("etcdutl"), tools.resolve("etcdctl"));
        assertThat(EtcdBinaries.snapshotToolIn(v35)).isEqualTo(v35.resolve("etcdutl"));

        System.setProperty(EtcdBinaries.BY_MINOR_PROPERTY, "3.6=" + dir.resolve("missing"));
        assertThatThrownBy(() -> EtcdBinaries.dirFor("3.6.16"))
                .hasMessageContaining("GUARDIAN_ETCD_BIN_DIRS")
                .hasMessageContaining("missing");
    }
}
