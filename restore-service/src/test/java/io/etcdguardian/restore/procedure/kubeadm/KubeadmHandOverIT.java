package io.etcdguardian.restore.procedure.kubeadm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.EtcdSpec;
import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.Etcdctl;
import io.etcdguardian.localetcd.FreePorts;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.OneMemberSnapshot;
import io.etcdguardian.restore.stage.SnapshotStaging;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubeadm hand-over, executed: three control-plane nodes laid out like kubeadm's (each its own
 * {@code /var/lib/etcd} with old data and {@code /etc/kubernetes/manifests}), every command of the
 * plan run in bash on its node in the plan's order, against the real etcdutl — only the kubelet's
 * part ({@code crictl}, {@code kubectl}) is played by the test, which then starts etcd on each node
 * from the manifests' new data dir. The three restored members form one cluster with the snapshot's
 * keys and a revision bumped past anything a client saw; the old data dirs are untouched.
 */
class KubeadmHandOverIT {
    private static final List<String> NODES = List.of("cp-1", "cp-2", "cp-3");

    @TempDir
    Path dir;

    @Test
    void everyStackedMemberIsRestoredFromOneSnapshotByTheHandedOverCommands() throws Exception {
        Path etcdutl = EtcdBinaries.etcdutl().orElse(null);
        Assumptions.assumeTrue(etcdutl != null, "etcdutl: etcd 3.5 or later");
        Path snapshot = dir.resolve("staged.db");
        long revision = OneMemberSnapshot.save(dir.resolve("source"), "/registry/kubeadm", snapshot);

        List<Integer> peers = new ArrayList<>();
        List<Integer> clients = new ArrayList<>();
        List<RestoreSpec.Member> members = new ArrayList<>();
        for (String node : NODES) {
            peers.add(FreePorts.next());
            clients.add(FreePorts.next());
            members.add(new RestoreSpec.Member(node, "http://127.0.0.1:" + peers.get(peers.size() - 1)));
            Path root = dir.resolve(node);
            Files.createDirectories(root.resolve("var/lib/etcd/member"));
            Files.writeString(root.resolve("var/lib/etcd/member/old"), "the old member data");
            Path manifests = Files.createDirectories(root.resolve("etc/kubernetes/manifests"));
            Files.writeString(manifests.resolve("kube-apiserver.yaml"), "kind: Pod # kube-apiserver\n");
            Files.writeString(manifests.resolve("etcd.yaml"), """
                    kind: Pod
                    spec:
                      containers:
                        - volumeMounts:
                            - mountPath: /var/lib/etcd
                              name: etcd-data
                      volumes:
                        - hostPath:
                            path: %s/var/lib/etcd
                            type: DirectoryOrCreate
                          name: etcd-data
                    """.formatted(root));
        }
        ClusterSpec cluster = new ClusterSpec(
                "kubeadm1",
                new EtcdSpec(
                        clients.stream().map(p -> "https://127.0.0.1:" + p).toList(), null, null, null, null, null),
                new StoreSpec("etcd-snapshots", null, null, null, null, null, null, null, null),
                null,
                null,
                null,
                new RestoreSpec(null, null, null, null, null, null, members),
                null,
                null,
                null);
        SnapshotManifest manifest = new SnapshotManifest(
                SnapshotManifest.FORMAT_VERSION,
                "kubeadm1",
                "s1",
                null,
                null,
                Instant.now(),
                Instant.now(),
                null,
                EtcdBinaries.versionIn(etcdutl.getParent()),
                null,
                revision,
                1,
                1,
                null,
                Files.size(snapshot),
                1,
                null,
                null,
                null,
                "k",
                null,
                null,
                null,
                null,
                null);
        RestoreRun run =
                new RestoreRun(cluster, manifest, "restore-kubeadm1", Instant.now(), Map.of(), List.of(), false, null);
        List<RestoreStep> plan = new KubeadmTarget(new SnapshotStaging(null, null, null)).plan(run);

        assertThat(plan.get(0).name()).isEqualTo("stage-snapshot");
        assertThat(plan.subList(1, plan.size()))
                .allMatch(RestoreStep::manual)
                .extracting(RestoreStep::name)
                .as("all nodes stopped before any is restored; etcd everywhere before an API server")
                .containsExactly(
                        "stop-cp-1",
                        "stop-cp-2",
                        "stop-cp-3",
                        "fetch-cp-1",
                        "fetch-cp-2",
                        "fetch-cp-3",
                        "restore-data-cp-1",
                        "restore-data-cp-2",
                        "restore-data-cp-3",
                        "start-etcd-cp-1",
                        "start-etcd-cp-2",
                        "start-etcd-cp-3",
                        "start-api-server-cp-1",
                        "start-api-server-cp-2",
                        "start-api-server-cp-3");
        String restoreCommand = String.join(
                "\n",
                plan.stream()
                        .filter(s -> s.name().equals("restore-data-cp-2"))
                        .findFirst()
                        .orElseThrow()
                        .touches());
        assertThat(restoreCommand)
                .startsWith("etcdutl snapshot restore /var/lib/etcd-snapshot-")
                .contains(
                        "--name cp-2",
                        "--initial-advertise-peer-urls http://127.0.0.1:" + peers.get(1),
                        "--initial-cluster cp-1=http://127.0.0.1:" + peers.get(0) + ",cp-2=",
                        "--bump-revision " + KubeadmTarget.BUMP + " --mark-compacted");
        assertThat(plan.toString())
                .as("no store credentials, no URL in the plan")
                .doesNotContain("X-Amz")
                .doesNotContain("aws s3");

        for (RestoreStep step : plan.subList(1, plan.size())) {
            String node = NODES.stream()
                    .filter(n -> step.name().endsWith("-" + n))
                    .findFirst()
                    .orElseThrow();
            assertThat(runOn(node, step.touches(), snapshot, etcdutl))
                    .as(step.name() + " on " + node)
                    .isZero();
        }

        List<Process> etcds = new ArrayList<>();
        try {
            for (int i = 0; i < NODES.size(); i++) {
                Path root = dir.resolve(NODES.get(i));
                String etcdYaml = Files.readString(root.resolve("etc/kubernetes/manifests/etcd.yaml"));
                Matcher hostPath = Pattern.compile("path: (\\S+-restore-\\S+)").matcher(etcdYaml);
                assertThat(hostPath.find())
                        .as("the hostPath names the restored dir")
                        .isTrue();
                assertThat(etcdYaml).contains("mountPath: /var/lib/etcd");
                assertThat(root.resolve("etc/kubernetes/manifests/kube-apiserver.yaml"))
                        .exists();
                assertThat(Files.readString(root.resolve("var/lib/etcd/member/old")))
                        .isEqualTo("the old member data");
                try (var left = Files.list(root.resolve("var/lib"))) {
                    assertThat(left.map(p -> p.getFileName().toString()))
                            .noneMatch(n -> n.startsWith("etcd-snapshot-"));
                }
                // the kubelet's part: etcd from the manifest's data dir, as the member the restore made
                etcds.add(new ProcessBuilder(List.of(
                                EtcdBinaries.etcd().toString(),
                                "--name",
                                NODES.get(i),
                                "--data-dir",
                                hostPath.group(1),
                                "--listen-peer-urls",
                                "http://127.0.0.1:" + peers.get(i),
                                "--initial-advertise-peer-urls",
                                "http://127.0.0.1:" + peers.get(i),
                                "--listen-client-urls",
                                "http://127.0.0.1:" + clients.get(i),
                                "--advertise-client-urls",
                                "http://127.0.0.1:" + clients.get(i)))
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve(NODES.get(i) + "-etcd.log").toFile())
                        .start());
            }
            String endpoints = "--endpoints="
                    + String.join(
                            ",",
                            clients.stream().map(p -> "http://127.0.0.1:" + p).toList());
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() ->
                            Etcdctl.run(List.of(EtcdBinaries.etcdctl().toString(), endpoints, "endpoint", "health"))
                                            .split("is healthy", -1)
                                            .length
                                    == 4);
            assertThat(Etcdctl.run(List.of(EtcdBinaries.etcdctl().toString(), endpoints, "member", "list")))
                    .contains("cp-1", "cp-2", "cp-3");
            assertThat(Etcdctl.run(List.of(
                                    EtcdBinaries.etcdctl().toString(),
                                    endpoints,
                                    "get",
                                    "/registry/kubeadm/key-7",
                                    "--print-value-only"))
                            .strip())
                    .isEqualTo("value-7");
            Matcher now = Pattern.compile("\"revision\":(\\d+)")
                    .matcher(Etcdctl.run(List.of(
                            EtcdBinaries.etcdctl().toString(),
                            "--endpoints=http://127.0.0.1:" + clients.get(2),
                            "endpoint",
                            "status",
                            "-w",
                            "json")));
            assertThat(now.find()).isTrue();
            assertThat(Long.parseLong(now.group(1)))
                    .as("revision bumped past what clients saw")
                    .isGreaterThanOrEqualTo(revision + Long.parseLong(KubeadmTarget.BUMP));
        } finally {
            for (Process etcd : etcds) {
                etcd.destroy();
                etcd.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * One step's commands on {@code node}: its / moved under the node's directory, guardianctl answering
     * restore-url with the staged file (a presigned URL in the field; the hosts only see "a URL"),
     * the kubelet's commands (crictl, kubectl) left to the test.
     */
    private int runOn(String node, List<String> commands, Path staged, Path etcdutl) throws Exception {
        Path root = dir.resolve(node);
        StringBuilder script = new StringBuilder("set -eu\nguardianctl() { echo \"file://" + staged + "\"; }\n");
        for (String command : commands) {
            if (command.startsWith("crictl") || command.startsWith("kubectl")) {
                continue;
            }
            script.append(command.replace("/var/lib", root + "/var/lib")
                            .replace("/etc/kubernetes", root + "/etc/kubernetes"))
                    .append('\n');
        }
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", script.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve(node + ".log").toFile()));
        bash.environment().put("PATH", etcdutl.getParent() + ":" + System.getenv("PATH"));
        Process process = bash.start();
        return process.waitFor(60, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }
}
