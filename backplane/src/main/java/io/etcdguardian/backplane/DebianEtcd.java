package io.etcdguardian.backplane;

import io.etcdguardian.localetcd.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Installs Debian's etcd-server and etcd-client when they are missing and this runs as root: for the
 * local backplane (quick start, tests) only. The services never install anything themselves.
 */
public final class DebianEtcd {
    private static final Path BIN = Path.of("/usr/bin");

    private DebianEtcd() {}

    public static synchronized void ensureInstalled() {
        String configured = System.getProperty("guardian.etcd.bin-dir", System.getenv("GUARDIAN_ETCD_BIN_DIR"));
        boolean elsewhere = configured != null
                && !configured.isBlank()
                && !Path.of(configured).toAbsolutePath().normalize().equals(BIN);
        if (elsewhere || (Files.isExecutable(BIN.resolve("etcd")) && Files.isExecutable(BIN.resolve("etcdctl")))) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("etcd is not installed: run `apt-get install -y etcd-server etcd-client`"
                    + " or set GUARDIAN_ETCD_BIN_DIR to a directory holding etcd and etcdctl");
        }
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "guardian-apt.log");
        Path cwd = Path.of(".").toAbsolutePath();
        ChildProcess.runToCompletion(List.of("apt-get", "update", "-qq"), cwd, log, Duration.ofMinutes(5));
        ChildProcess.runToCompletion(
                List.of("apt-get", "install", "-y", "-qq", "etcd-server", "etcd-client"),
                cwd,
                log,
                Duration.ofMinutes(5));
    }
}
