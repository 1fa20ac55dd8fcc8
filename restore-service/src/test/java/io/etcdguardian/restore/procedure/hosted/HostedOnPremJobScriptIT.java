package io.etcdguardian.restore.procedure.hosted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.Etcdctl;
import io.etcdguardian.localetcd.FreePorts;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.procedure.OneMemberSnapshot;
import io.etcdguardian.restore.stage.SnapshotSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hosted-onprem restore Job's script, executed for real: against the real {@code etcdutl} of the
 * etcd under test, on a directory laid out like member 0's volume (the old {@code data} dir, the
 * snapshot the Job's init container fetched), with the volume's mount point {@code /var/lib} moved
 * into a temporary directory. The old data is replaced only after etcdutl succeeded, and the result
 * is a data dir etcd starts from, with the snapshot's keys and the revision bumped past anything a
 * client saw.
 */
class HostedOnPremJobScriptIT {
    private static final String NS = "clusters-hc9";

    @TempDir
    Path dir;

    @Test
    void theScriptRestoresIntoANewDirectoryAndSwapsItInOnlyAfterEtcdutlSucceeded() throws Exception {
        Path etcdutl = EtcdBinaries.etcdutl().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(etcdutl != null, "etcdutl: etcd 3.5 or later");
        Path volume = Files.createDirectories(dir.resolve("volume"));
        long revision =
                OneMemberSnapshot.save(dir.resolve("source"), "/registry/hc9", volume.resolve("restored.snap.db"));
        Path old = Files.createDirectories(volume.resolve("data/member/snap"));
        Files.writeString(old.resolve("db"), "the old member data");

        // a broken snapshot: etcdutl fails, and the old data stays exactly where it was
        Path good = Files.move(volume.resolve("restored.snap.db"), dir.resolve("good.snap.db"));
        Files.write(volume.resolve("restored.snap.db"), new byte[4096]);
        assertThat(run(script(), volume, etcdutl)).isNotZero();
        assertThat(Files.readString(old.resolve("db"))).isEqualTo("the old member data");

        Files.move(good, volume.resolve("restored.snap.db"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(run(script(), volume, etcdutl)).isZero();
        try (var left = Files.list(volume)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("data");
        }
        assertThat(Files.size(volume.resolve("data/member/snap/db"))).isGreaterThan(4096);

        // etcd starts from it (alone: the other members rejoin empty in the real procedure)
        int client = FreePorts.next();
        int peer = FreePorts.next();
        Process etcd = new ProcessBuilder(List.of(
                        EtcdBinaries.etcd().toString(),
                        "--name",
                        "etcd-0",
                        "--data-dir",
                        volume.resolve("data").toString(),
                        "--force-new-cluster",
                        "--listen-client-urls",
                        "http://127.0.0.1:" + client,
                        "--advertise-client-urls",
                        "http://127.0.0.1:" + client,
                        "--listen-peer-urls",
                        "http://127.0.0.1:" + peer))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("etcd.log").toFile())
                .start();
        try {
            String endpoint = "--endpoints=http://127.0.0.1:" + client;
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> Etcdctl.run(List.of(
                                    EtcdBinaries.etcdctl().toString(),
                                    endpoint,
                                    "get",
                                    "/registry/hc9/key-7",
                                    "--print-value-only"))
                            .strip()
                            .equals("value-7"));
            String status = Etcdctl.run(
                    List.of(EtcdBinaries.etcdctl().toString(), endpoint, "endpoint", "status", "-w", "json"));
            java.util.regex.Matcher now =
                    java.util.regex.Pattern.compile("\"revision\":(\\d+)").matcher(status);
            assertThat(now.find()).isTrue();
            assertThat(Long.parseLong(now.group(1)))
                    .as("revision bumped past what clients saw")
                    .isGreaterThanOrEqualTo(revision + Long.parseLong(HostedClusters.BUMP));
        } finally {
            etcd.destroy();
            etcd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The seed's other source: member 0's own member/snap/db, as its volume holds it once etcd stopped —
     * restored with --skip-hash-check (a data file has no trailer), and the member's data replaced only
     * after etcdutl succeeded; an unusable file leaves it as it was.
     */
    @Test
    void memberZerosOwnDataFileIsRestoredWithoutAHashCheck() throws Exception {
        Path etcdutl = EtcdBinaries.etcdutl().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(etcdutl != null, "etcdutl: etcd 3.5 or later");
        EtcdCluster source = EtcdCluster.plan(dir.resolve("source"), 1, 0).start();
        try {
            for (int i = 0; i < 20; i++) {
                source.etcdctl("put", "/registry/hc9/key-" + i, "value-" + i);
            }
            source.etcdctl("put", "/registry/hc9/after-the-last-snapshot", "kept");
        } finally {
            source.stop();
        }
        String script = script(SnapshotSources.placeholder(
                "hc9",
                RestoreRequested.MEMBER_DB,
                io.etcdguardian.common.fleet.ControlPlaneKind.HOSTED_ONPREM,
                Instant.now()));
        assertThat(script).contains("--skip-hash-check");

        Path broken = Files.createDirectories(dir.resolve("broken/data/member/snap"));
        Files.write(broken.resolve("db"), new byte[4096]);
        assertThat(run(script, dir.resolve("broken"), etcdutl)).isNotZero();
        assertThat(Files.readAllBytes(broken.resolve("db")))
                .as("member 0's data as it was")
                .isEqualTo(new byte[4096]);

        Path volume = Files.createDirectories(dir.resolve("volume"));
        copy(dir.resolve("source/etcd-0/data"), volume.resolve("data"));
        assertThat(run(script, volume, etcdutl)).isZero();
        try (var left = Files.list(volume)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("data");
        }
        int client = FreePorts.next();
        Process etcd = new ProcessBuilder(List.of(
                        EtcdBinaries.etcd().toString(),
                        "--name",
                        "etcd-0",
                        "--data-dir",
                        volume.resolve("data").toString(),
                        "--force-new-cluster",
                        "--listen-client-urls",
                        "http://127.0.0.1:" + client,
                        "--advertise-client-urls",
                        "http://127.0.0.1:" + client,
                        "--listen-peer-urls",
                        "http://127.0.0.1:" + FreePorts.next()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("etcd-member-db.log").toFile())
                .start();
        try {
            String endpoint = "--endpoints=http://127.0.0.1:" + client;
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> Etcdctl.run(List.of(
                                    EtcdBinaries.etcdctl().toString(),
                                    endpoint,
                                    "get",
                                    "/registry/hc9/after-the-last-snapshot",
                                    "--print-value-only"))
                            .strip()
                            .equals("kept"));
            assertThat(Etcdctl.run(List.of(
                            EtcdBinaries.etcdctl().toString(),
                            endpoint,
                            "get",
                            "/registry/hc9/",
                            "--prefix",
                            "--count-only",
                            "-w",
                            "fields")))
                    .containsPattern("\"Count\" : 21\\b");
        } finally {
            etcd.destroy();
            etcd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** The script as the plan shows it, for a 3-member cluster whose image supports the revision bump. */
    private static String script() {
        return script(new SnapshotManifest(
                SnapshotManifest.FORMAT_VERSION,
                "hc9",
                "s1",
                null,
                null,
                Instant.now(),
                Instant.now(),
                null,
                null,
                null,
                1,
                1,
                1,
                null,
                1,
                1,
                null,
                null,
                null,
                "k",
                null,
                null,
                null,
                null,
                null));
    }

    private static String script(SnapshotManifest manifest) {
        ClusterSpec cluster = new ClusterSpec(
                "hc9",
                null,
                null,
                null,
                null,
                null,
                new RestoreSpec(null, null, true, null, null, null),
                null,
                null,
                null);
        RestoreRun run = new RestoreRun(cluster, manifest, "restore-1", Instant.now(), Map.of(), List.of(), true, null);
        return HostedOnPremTarget.restoreScript(run, NS, 3, "quay.io/openshift/etcd:v3.5.35");
    }

    private int run(String script, Path volume, Path etcdutl) throws Exception {
        ProcessBuilder job = new ProcessBuilder("sh", "-c", script.replace("/var/lib", volume.toString()))
                .redirectErrorStream(true)
                .redirectOutput(
                        ProcessBuilder.Redirect.appendTo(dir.resolve("job.log").toFile()));
        // the image's etcdutl: the one of the etcd under test
        job.environment().put("PATH", etcdutl.getParent() + ":" + System.getenv("PATH"));
        Process sh = job.start();
        return sh.waitFor(60, TimeUnit.SECONDS) ? sh.exitValue() : -1;
    }
}
