package io.etcdguardian.localetcd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Finds Debian's etcd and etcdctl, installing etcd-server and etcd-client when they are missing. */
public final class EtcdBinaries {
    private static final Path ETCD = Path.of("/usr/bin/etcd");
    private static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");

    private EtcdBinaries() {}

    public static synchronized Path etcd() {
        ensureInstalled();
        return ETCD;
    }

    public static synchronized Path etcdctl() {
        ensureInstalled();
        return ETCDCTL;
    }

    private static void ensureInstalled() {
        if (Files.isExecutable(ETCD) && Files.isExecutable(ETCDCTL)) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("etcd is not installed: run `apt-get install -y etcd-server etcd-client`");
        }
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "guardian-apt.log");
        Path cwd = Path.of(".").toAbsolutePath();
        ChildProcess.runToCompletion(List.of("apt-get", "update", "-qq"), cwd, log, Duration.ofMinutes(5));
        ChildProcess.runToCompletion(List.of("apt-get", "install", "-y", "-qq", "etcd-server", "etcd-client"),
                cwd, log, Duration.ofMinutes(5));
    }
}
