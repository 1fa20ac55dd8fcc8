package io.etcdguardian.localetcd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Finds etcd and etcdctl: in {@code $GUARDIAN_ETCD_BIN_DIR} (or {@code -Dguardian.etcd.bin-dir}) when
 * set — the service images carry them in /opt/etcd/bin — else Debian's in /usr/bin, installing
 * etcd-server and etcd-client there when they are missing and this runs as root.
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
        ensureDebianInstalled();
        return DEBIAN.resolve(binary);
    }

    private static void ensureDebianInstalled() {
        if (Files.isExecutable(DEBIAN.resolve("etcd")) && Files.isExecutable(DEBIAN.resolve("etcdctl"))) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("etcd is not installed: run `apt-get install -y etcd-server etcd-client`"
                    + " or set " + VARIABLE + " to a directory holding etcd and etcdctl");
        }
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "guardian-apt.log");
        Path cwd = Path.of(".").toAbsolutePath();
        ChildProcess.runToCompletion(List.of("apt-get", "update", "-qq"), cwd, log, Duration.ofMinutes(5));
        ChildProcess.runToCompletion(List.of("apt-get", "install", "-y", "-qq", "etcd-server", "etcd-client"),
                cwd, log, Duration.ofMinutes(5));
    }
}
