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
class EtcdBinariesTest {

    @AfterEach
    void clear() {
        System.clearProperty(EtcdBinaries.PROPERTY);
    }

    @Test
    void aConfiguredDirectoryIsUsedAndItsEtcdctlRuns(@TempDir Path dir) throws Exception {
        Path debian = EtcdBinaries.etcdctl().getParent();
        Files.createSymbolicLink(dir.resolve("etcd"), debian.resolve("etcd"));
        Files.createSymbolicLink(dir.resolve("etcdctl"), debian.resolve("etcdctl"));
        System.setProperty(EtcdBinaries.PROPERTY, dir.toString());

        assertThat(EtcdBinaries.etcd()).isEqualTo(dir.resolve("etcd"));
        Process version = new ProcessBuilder(List.of(EtcdBinaries.etcdctl().toString(), "version"))
                .redirectErrorStream(true).start();
        assertThat(new String(version.getInputStream().readAllBytes())).contains("etcdctl version");
        assertThat(version.waitFor()).isZero();
    }

    @Test
    void aDirectoryWithoutTheBinariesIsAClearError(@TempDir Path empty) {
        System.setProperty(EtcdBinaries.PROPERTY, empty.toString());
        assertThatThrownBy(EtcdBinaries::etcdctl).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GUARDIAN_ETCD_BIN_DIR").hasMessageContaining(empty.resolve("etcdctl").toString());
    }
}
