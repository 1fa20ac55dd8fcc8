package io.etcdguardian.localetcd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds etcd, etcdctl and (3.5+) etcdutl: in {@code $GUARDIAN_ETCD_BIN_DIR} (or
 * {@code -Dguardian.etcd.bin-dir}) when set — the service images carry them in /opt/etcd/bin, the
 * tests use the 3.6 and 3.5 builds of backplane-components — else Debian's 3.4 in /usr/bin. A
 * snapshot is drilled and restored with the tools of the etcd minor it came from when
 * {@code $GUARDIAN_ETCD_BIN_DIRS} ({@code -Dguardian.etcd.bin-dirs}) names one, as
 * {@code 3.5=/opt/etcd/3.5,3.6=/opt/etcd/3.6}. It never installs anything: services run this, and a
 * service must not run a package manager (the local backplane installs Debian's packages for the
 * quick start and the tests, see DebianEtcd there).
 */
public final class EtcdBinaries {
    static final String VARIABLE = "GUARDIAN_ETCD_BIN_DIR";
    static final String PROPERTY = "guardian.etcd.bin-dir";
    static final String BY_MINOR_VARIABLE = "GUARDIAN_ETCD_BIN_DIRS";
    static final String BY_MINOR_PROPERTY = "guardian.etcd.bin-dirs";
    private static final Path DEBIAN = Path.of("/usr/bin");

    private EtcdBinaries() {}

    public static synchronized Path etcd() {
        return find("etcd");
    }

    public static synchronized Path etcdctl() {
        return find("etcdctl");
    }

    /** etcdutl, where this etcd has it (3.5 and later). */
    public static synchronized Optional<Path> etcdutl() {
        return etcdutlIn(etcdctl().getParent());
    }

    /**
     * The tool that reads and restores snapshot files: etcdutl where there is one (3.6 removed
     * {@code snapshot status} and {@code snapshot restore} from etcdctl), etcdctl on 3.4.
     */
    public static synchronized Path snapshotTool() {
        return snapshotToolIn(etcdctl().getParent());
    }

    /** The same, among the tools in {@code dir}. */
    public static Path snapshotToolIn(Path dir) {
        return etcdutlIn(dir).orElse(dir.resolve("etcdctl"));
    }

    /**
     * The directory holding the tools of etcd {@code version} (e.g. {@code 3.5.21}): the one configured
     * for its minor, else the default tools' (which then must do).
     */
    public static synchronized Path dirFor(String version) {
        String configured = System.getProperty(BY_MINOR_PROPERTY, System.getenv(BY_MINOR_VARIABLE));
        String minor = minor(version);
        if (configured != null) {
            for (String entry : configured.split(",")) {
                String[] pair = entry.trim().split("=", 2);
                if (pair.length == 2 && pair[0].trim().equals(minor)) {
                    Path dir = Path.of(pair[1].trim());
                    if (!Files.isExecutable(dir.resolve("etcd")) || !Files.isExecutable(dir.resolve("etcdctl"))) {
                        throw new IllegalStateException(BY_MINOR_VARIABLE + " (" + BY_MINOR_PROPERTY + "): " + dir
                                + " does not hold etcd and etcdctl " + minor);
                    }
                    return dir;
                }
            }
        }
        return etcd().getParent();
    }

    /** The version of the etcd in {@code dir}, as {@code etcd --version} prints it (e.g. 3.6.16). */
    public static String versionIn(Path dir) {
        java.util.regex.Matcher version = java.util.regex.Pattern.compile("etcd Version: (\\S+)")
                .matcher(Etcdctl.run(java.util.List.of(dir.resolve("etcd").toString(), "--version")));
        if (!version.find()) {
            throw new IllegalStateException(dir.resolve("etcd") + " --version printed no version");
        }
        return version.group(1);
    }

    /** {@code 3.6} of {@code 3.6.16} or {@code v3.6.0}; empty when it is not a version. */
    public static String minor(String version) {
        java.util.regex.Matcher minor =
                java.util.regex.Pattern.compile("^v?(\\d+\\.\\d+)").matcher(version == null ? "" : version);
        return minor.find() ? minor.group(1) : "";
    }

    private static Optional<Path> etcdutlIn(Path dir) {
        Path etcdutl = dir.resolve("etcdutl");
        return Files.isExecutable(etcdutl) ? Optional.of(etcdutl) : Optional.empty();
    }

    private static Path find(String binary) {
        String configured = System.getProperty(PROPERTY, System.getenv(VARIABLE));
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured).resolve(binary);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException(
                        VARIABLE + " (" + PROPERTY + "): " + path + " is not an executable " + binary);
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
