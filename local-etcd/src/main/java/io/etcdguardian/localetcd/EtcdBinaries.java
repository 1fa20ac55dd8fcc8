package io.etcdguardian.localetcd;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds etcd and etcdctl: in {@code $GUARDIAN_ETCD_BIN_DIR} (or {@code -Dguardian.etcd.bin-dir}) when
 * set — the service images carry them in /opt/etcd/bin — else Debian's in /usr/bin. It never installs
 * anything: services run this, and a service must not run a package manager (the local backplane
 * installs Debian's packages for the quick start and the tests, see DebianEtcd there).
 */
public final class EtcdBinaries {
    static final String VARIABLE = "GUARDIAN_ETCD_BIN_DIR";
    static final String PROPERTY = "guardian.etcd.bin-dir";
    private static final Path DEBIAN = Path.of("/usr/bin");

    private EtcdBinaries() {}

    public static synchronized Path etcd() {
        return find("etcd");
    }

    public static synchronized Path etcdctl() {
        return find("etcdctl");
    }

    private static Path find(String binary) {
        String configured = System.getProperty(PROPERTY, System.getenv(VARIABLE));
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured).resolve(binary);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException(VARIABLE + " (" + PROPERTY + "): " + path + " is not an executable "
                        + binary);
            }
            return path;
        }
        requireDebianInstalled();
        return DEBIAN.resolve(binary);
    }

    private static void requireDebianInstalled() {
        if (!Files.isExecutable(DEBIAN.resolve("etcd")) || !Files.isExecutable(DEBIAN.resolve("etcdctl"))) {
            throw new IllegalStateException("etcd and etcdctl are not installed in " + DEBIAN + ": install them"
                    + " (Debian: apt-get install -y etcd-server etcd-client) or set " + VARIABLE
                    + " to a directory holding etcd and etcdctl");
        }
    }
}
