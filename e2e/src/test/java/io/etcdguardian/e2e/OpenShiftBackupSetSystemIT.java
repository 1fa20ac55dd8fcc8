package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.MockKubeconfig;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.cli.local.LocalServices;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OpenShift snapshot is a backup set, as cluster-backup.sh writes one: the services run as
 * processes against real etcd, Kafka and S3Proxy; the OpenShift API is the fabric8 mock, and the test
 * plays the control-plane node — it runs the Job's own script (the host's bash, tar and curl) on a
 * directory laid out like {@code /etc/kubernetes}, uploading through the presigned URL for real.
 * {@code guardianctl snapshots get} then writes the directory cluster-restore.sh takes, and
 * cluster-restore.sh's own tar commands read it.
 */
@EnableKubernetesMockClient(crud = true)
class OpenShiftBackupSetSystemIT {
    private static final String CLUSTER = "ocpset";
    private static final String KEY_STORE = "etcd-keys";
    private static final String NS = "openshift-etcd";
    private static final Map<String, Integer> RUNNING =
            Map.of("kube-apiserver", 12, "kube-controller-manager", 7, "kube-scheduler", 6, "etcd", 3);
    static KubernetesClient client;

    @TempDir
    Path state;

    private final List<String> jobsRun = new CopyOnWriteArrayList<>();
    private final List<String> nodeFailures = new CopyOnWriteArrayList<>();
    private final List<String> uploadUrls = new CopyOnWriteArrayList<>();

    @Test
    void anOpenShiftSnapshotIsABackupSetThatClusterRestoreReads() throws Exception {
        Backplane backplane =
                Backplane.startOrReuse(state, new Backplane.Options(1, 0, "etcd-snapshots"), TopicSpec.ofContract());
        LocalServices services = new LocalServices(
                backplane.stateDir(), Path.of("..").toAbsolutePath().normalize());
        Path etcKubernetes = Files.createDirectories(state.resolve("node/etc/kubernetes"));
        Path nodeTmp = Files.createDirectories(state.resolve("node/var/tmp"));
        layOutNode(etcKubernetes);
        AtomicBoolean playing = new AtomicBoolean(true);
        Thread node = new Thread(
                () -> {
                    while (playing.get()) {
                        try {
                            runJobs(etcKubernetes, nodeTmp);
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception changedUnderUs) {
                            // next round
                        }
                    }
                },
                "test-control-plane-node");
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower snapshots = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            openShift();
            for (int i = 0; i < 40; i++) {
                backplane.etcd().etcdctl("put", "/kubernetes.io/configmaps/ocp/cm-" + i, "value-" + i);
            }
            Path key = Files.writeString(
                    state.resolve("snapshot.key"),
                    Base64.getEncoder()
                            .encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII)));
            Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Path bundleKey = Files.writeString(
                    state.resolve("bundles.key"),
                    Base64.getEncoder()
                            .encodeToString("key-bundles-key-key-bundles-key!".getBytes(StandardCharsets.US_ASCII)));
            Files.setPosixFilePermissions(
                    bundleKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            backplane.s3().createBucket(KEY_STORE);
            Path fleet = Files.writeString(state.resolve("fleet.yaml"), """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s] }
                        store: { bucket: %s, endpoint: %s, credentialsFile: %s, encryption: { keyFile: %s, keyId: k1 },
                                 keyStore: { bucket: %s, prefix: keys/, credentialsFile: %s,
                                             encryption: { keyFile: %s, keyId: b1 } } }
                        kubernetes: { kind: openshift, kubeconfig: %s }
                    """.formatted(
                            CLUSTER,
                            String.join(", ", backplane.etcd().endpoints()),
                            backplane.bucket(),
                            backplane.s3().endpoint(),
                            credentials(backplane),
                            key,
                            KEY_STORE,
                            credentials(backplane),
                            bundleKey,
                            kubeconfig()));
            services.start(
                    Map.of(
                            "KAFKA_BOOTSTRAP_SERVERS",
                            backplane.kafka().bootstrapServers(),
                            "GUARDIAN_FLEET_FILE",
                            fleet.toString(),
                            "GUARDIAN_SNAPSHOT_ATTEMPTS",
                            "1",
                            "GUARDIAN_SNAPSHOT_OPENSHIFT_BACKUP_SET_POLL_INTERVAL",
                            "200ms",
                            // S3Proxy's filesystem backend answers server-side encryption with 501
                            "GUARDIAN_SNAPSHOT_OPENSHIFT_BACKUP_SET_STAGED_ENCRYPTION",
                            "false"),
                    Duration.ofSeconds(120));
            node.start();

            // 1. a backup set: the node's tarball first, then the snapshot, both stored, encrypted
            SnapshotCompleted done = (SnapshotCompleted) outcome(stream, snapshots, SnapshotCompleted.class);
            assertThat(jobsRun).hasSize(1);
            String manifest = backplane
                    .s3()
                    .client()
                    .getObjectAsBytes(b -> b.bucket(backplane.bucket()).key(done.manifestKey()))
                    .asUtf8String();
            assertThat(manifest)
                    .contains(
                            "\"static-pod-resources/kube-apiserver-pod-12\"",
                            "\"static-pod-resources/kube-controller-manager-pod-7\"",
                            "\"static-pod-resources/kube-scheduler-pod-6\"",
                            "\"static-pod-resources/etcd-pod-3\"",
                            "\"node\" : \"master-1\"",
                            "\"keyBundleKey\" : \"keys/" + CLUSTER + "/" + done.snapshotId() + KeyBundles.SUFFIX
                                    + "\"");
            String stored = CLUSTER + "/snapshots/" + done.snapshotId() + ".static_kuberesources.tar.gz.enc";
            byte[] sealed = backplane
                    .s3()
                    .client()
                    .getObjectAsBytes(b -> b.bucket(backplane.bucket()).key(stored))
                    .asByteArray();
            assertThat(sealed[0] == 0x1f && sealed[1] == (byte) 0x8b)
                    .as("ciphertext, not the gzip the node sent")
                    .isFalse();
            assertNothingLeftBehind(backplane, nodeTmp);

            // 2. guardianctl writes the directory cluster-restore.sh takes: exactly the two files, checked
            Path backup = state.resolve("home/core/backup");
            Guardianctl.Run got = ctl("snapshots", "get", CLUSTER, done.snapshotId(), "--dir", backup.toString());
            assertThat(got.exit()).as(got.err()).isZero();
            List<String> names;
            try (Stream<Path> files = Files.list(backup)) {
                names = files.map(p -> p.getFileName().toString()).sorted().toList();
            }
            assertThat(names).hasSize(2);
            String stamp = names.get(0).replaceAll("^snapshot_(.*)\\.db$", "$1");
            assertThat(stamp).matches("\\d{4}-\\d{2}-\\d{2}_\\d{6}");
            assertThat(names).containsExactly("snapshot_" + stamp + ".db", "static_kuberesources_" + stamp + ".tar.gz");
            String status = sh(
                    backup,
                    EtcdBinaries.etcdutl().orElseThrow() + " snapshot status snapshot_" + stamp + ".db -w json");
            assertThat(status).contains("\"revision\":" + done.revision());

            // cluster-restore.sh's reads of the tarball: each static pod's manifest found by name, then the
            // whole static-pod-resources tree extracted over /etc/kubernetes
            Path tarball = backup.resolve("static_kuberesources_" + stamp + ".tar.gz");
            assertThat(sh(backup, "ls -vd " + backup + "/static_kuberesources*.tar.gz | tail -1"))
                    .isEqualTo(tarball + "\n");
            for (var running : RUNNING.entrySet()) {
                // cluster-restore.sh relies on the host tar matching member patterns (RHCOS's does); Debian's needs
                // --wildcards
                assertThat(sh(
                                backup,
                                "set -o pipefail; tar --wildcards -tvf " + tarball + " '*" + running.getKey()
                                        + "-pod.yaml' | awk '{ print $6 }'"))
                        .isEqualTo("static-pod-resources/" + running.getKey() + "-pod-" + running.getValue() + "/"
                                + running.getKey() + "-pod.yaml\n");
            }
            Path restoredConfig = Files.createDirectories(state.resolve("recovery/etc/kubernetes"));
            sh(backup, "tar -C " + restoredConfig + " -xzf " + tarball + " static-pod-resources");
            List<String> restored = tree(restoredConfig);
            List<String> expected = new ArrayList<>();
            for (String file : tree(etcKubernetes)) {
                if (RUNNING.entrySet().stream()
                        .anyMatch(r ->
                                file.startsWith("static-pod-resources/" + r.getKey() + "-pod-" + r.getValue() + "/"))) {
                    expected.add(file);
                    assertThat(Files.readString(restoredConfig.resolve(file)))
                            .isEqualTo(Files.readString(etcKubernetes.resolve(file)));
                }
            }
            assertThat(restored)
                    .as("the running revisions, nothing older, no certs directories")
                    .containsExactlyInAnyOrderElementsOf(expected)
                    .hasSize(4 * 3);
            // verified means the whole set: the drill right after the capture read the tarball back too
            var verified = (io.etcdguardian.common.event.SnapshotVerified) snapshots
                    .await(
                            e -> e instanceof io.etcdguardian.common.event.SnapshotVerified v
                                    && v.snapshotId().equals(done.snapshotId()),
                            Duration.ofSeconds(60))
                    .orElseThrow();
            assertThat(verified.result()).isEqualTo(DrillResult.PASSED);
            assertThat(verified.detail()).contains("static_kuberesources tarball read back");

            // one bit flipped in the stored tarball: the drill fails the set, get writes nothing of it
            byte[] flipped = sealed.clone();
            flipped[flipped.length / 2] ^= 0x10;
            backplane
                    .s3()
                    .client()
                    .putObject(
                            b -> b.bucket(backplane.bucket()).key(stored),
                            software.amazon.awssdk.core.sync.RequestBody.fromBytes(flipped));
            Path elsewhere = state.resolve("elsewhere");
            assertThat(ctl("snapshots", "get", CLUSTER, done.snapshotId(), "--dir", elsewhere.toString())
                            .exit())
                    .isNotZero();
            try (Stream<Path> files = Files.list(elsewhere)) {
                assertThat(files).as("neither half of a damaged set").isEmpty();
            }
            Guardianctl.Run drill = ctl("snapshots", "verify", CLUSTER, done.snapshotId());
            assertThat(drill.exit()).isEqualTo(1);
            assertThat(drill.out()).contains("FAILED", "INTEGRITY_FAILED", "static_kuberesources");

            // 3. a rollout under way: refused like cluster-backup.sh refuses it, before any Job
            progressing("kube-scheduler", "True");
            SnapshotFailed rollout = (SnapshotFailed) outcome(stream, snapshots, SnapshotFailed.class);
            assertThat(rollout.reason()).isEqualTo(Reason.PRECONDITION_FAILED);
            assertThat(rollout.detail()).contains("clusteroperator kube-scheduler is progressing");
            assertThat(jobsRun).hasSize(1);
            progressing("kube-scheduler", "False");

            // 4. a node without the scheduler's static pod: the Job fails, the set is not committed, nothing stays
            Files.move(etcKubernetes.resolve("manifests/kube-scheduler-pod.yaml"), state.resolve("moved-away.yaml"));
            SnapshotFailed noScheduler = (SnapshotFailed) outcome(stream, snapshots, SnapshotFailed.class);
            assertThat(noScheduler.detail())
                    .contains(
                            "could not take the static-pod resources",
                            "oc logs -n openshift-etcd job/etcd-guardian-backup-");
            assertThat(nodeFailures)
                    .singleElement()
                    .asString()
                    .contains("error finding manifests for the kube-scheduler pod");
            assertThat(backplane
                            .s3()
                            .client()
                            .listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(CLUSTER + "/snapshots/"))
                            .contents())
                    .as("only the first set")
                    .hasSize(2);
            assertNothingLeftBehind(backplane, nodeTmp);

            // 5. no secret of this run in any service log, event, dead letter, journal record or stored object
            List<String> secrets = new ArrayList<>(List.of(
                    backplane.s3().secretKey(),
                    Files.readString(key).strip(),
                    "0123456789abcdef0123456789abcdef",
                    MockKubeconfig.TOKEN,
                    Files.readString(state.resolve("token")).strip(),
                    Files.readString(bundleKey).strip(),
                    "key-bundles-key-key-bundles-key!"));
            ETCD_ENCRYPTION_KEYS.values().forEach(k -> {
                secrets.add(k);
                secrets.add(new String(Base64.getDecoder().decode(k), StandardCharsets.US_ASCII));
            });
            for (String url : uploadUrls) {
                secrets.add(url);
                secrets.add(url.replaceAll(".*X-Amz-Signature=([0-9a-f]+).*", "$1"));
            }
            assertThat(uploadUrls).isNotEmpty();
            SecretScan scan = scan(backplane, secrets);
            // the control: the snapshot's id, which is no secret, is found in all three places
            SecretScan control = scan(backplane, List.of(done.snapshotId()));
            assertThat(control.hits())
                    .anyMatch(h -> h.contains(".log:"))
                    .anyMatch(h -> h.contains("guardian."))
                    .anyMatch(h -> h.contains("s3://"));
            System.out.println(scan.summary());
            assertThat(scan.hits()).as(scan.summary()).isEmpty();
        } finally {
            playing.set(false);
            node.join(5000);
            services.stop();
            backplane.stop();
        }
    }

    private void assertNothingLeftBehind(Backplane backplane, Path nodeTmp) throws Exception {
        assertThat(backplane
                        .s3()
                        .client()
                        .listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(CLUSTER + "/staging/"))
                        .contents())
                .as("the node's upload, taken in and removed")
                .isEmpty();
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems())
                .as("Job deleted")
                .isEmpty();
        assertThat(client.secrets().inNamespace(NS).list().getItems())
                .as("upload URL's Secret deleted")
                .isEmpty();
        try (Stream<Path> left = Files.list(nodeTmp)) {
            assertThat(left).as("no tarball left on the node").isEmpty();
        }
    }

    private GuardianEvent outcome(EventStream stream, EventStream.Follower snapshots, Class<?> expected) {
        String id = stream.publish(
                        "/test", new BackupRequested(CLUSTER, Trigger.ON_DEMAND, "test", "test", null, Instant.now()))
                .getId();
        GuardianEvent outcome = snapshots
                .await(
                        e -> (e instanceof SnapshotCompleted c && c.requestId().equals(id))
                                || (e instanceof SnapshotFailed f
                                        && f.requestId().equals(id)),
                        Duration.ofSeconds(120))
                .orElseThrow(() -> new AssertionError("no outcome of " + id + "; snapshot-service said:\n"
                        + tail(state.resolve("services/snapshot-service.log"))));
        assertThat(outcome).as(String.valueOf(outcome)).isInstanceOf(expected);
        return outcome;
    }

    /**
     * /etc/kubernetes as a control-plane node has it: the static pods' manifests naming their running
     * revision, an older revision of each beside it, and the certs directories cluster-backup.sh leaves out.
     */
    private static void layOutNode(Path etc) throws Exception {
        for (var running : RUNNING.entrySet()) {
            String pod = running.getKey() + "-pod";
            Files.createDirectories(etc.resolve("manifests"));
            Files.writeString(etc.resolve("manifests/" + pod + ".yaml"), """
                    apiVersion: v1
                    kind: Pod
                    spec:
                      volumes:
                      - hostPath: {path: /etc/kubernetes/static-pod-resources/%s-%d}
                        name: resource-dir
                      - hostPath: {path: /etc/kubernetes/static-pod-resources/%s-certs}
                        name: cert-dir
                    """.formatted(
                            pod, running.getValue(), running.getKey()));
            for (int revision : List.of(running.getValue() - 1, running.getValue())) {
                Path dir = etc.resolve("static-pod-resources/" + pod + "-" + revision);
                Files.createDirectories(dir.resolve("configmaps/config"));
                Files.createDirectories(dir.resolve("secrets/serving-cert"));
                Files.writeString(dir.resolve(pod + ".yaml"), "# " + pod + " revision " + revision + "\n");
                Files.writeString(dir.resolve("configmaps/config/config.yaml"), "revision: " + revision + "\n");
                Files.writeString(
                        dir.resolve("secrets/serving-cert/tls.key"), "PRIVATE KEY of " + pod + "-" + revision);
            }
            Files.createDirectories(etc.resolve("static-pod-resources/" + running.getKey() + "-certs/secrets"));
            Files.writeString(
                    etc.resolve("static-pod-resources/" + running.getKey() + "-certs/secrets/peer.key"), "cert");
        }
    }

    /** The OpenShift API as the backup set reads it: the four operators settled, an etcd pod to take the image from. */
    /** The etcd encryption keys of the cluster (OpenShift's {@code encryption-key-*} Secrets), as Secret data holds them. */
    private static final Map<String, String> ETCD_ENCRYPTION_KEYS = Map.of(
            "encryption-key-openshift-kube-apiserver-3",
                    Base64.getEncoder()
                            .encodeToString("kube-apiserver-aescbc-key-32byte".getBytes(StandardCharsets.US_ASCII)),
            "encryption-key-openshift-apiserver-2",
                    Base64.getEncoder()
                            .encodeToString("openshift-apiserver-aescbc-key-3".getBytes(StandardCharsets.US_ASCII)));

    private static void openShift() {
        // etcd encryption on: each snapshot's keys go, sealed, to the key store; nowhere else
        client.genericKubernetesResources(ControlPlane.API_SERVER)
                .resource(new GenericKubernetesResourceBuilder()
                        .withApiVersion("config.openshift.io/v1")
                        .withKind("APIServer")
                        .withNewMetadata()
                        .withName("cluster")
                        .endMetadata()
                        .addToAdditionalProperties("spec", Map.of("encryption", Map.of("type", "aescbc")))
                        .build())
                .create();
        ETCD_ENCRYPTION_KEYS.forEach((name, key) -> client.secrets()
                .inNamespace("openshift-config-managed")
                .resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .addToData("key", key)
                        .build())
                .create());
        for (String operator : RUNNING.keySet()) {
            client.genericKubernetesResources(ControlPlane.CLUSTER_OPERATOR)
                    .resource(new GenericKubernetesResourceBuilder()
                            .withApiVersion("config.openshift.io/v1")
                            .withKind("ClusterOperator")
                            .withNewMetadata()
                            .withName(operator)
                            .endMetadata()
                            .build())
                    .create();
            progressing(operator, "False");
        }
        client.pods()
                .inNamespace(NS)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("etcd-master-1")
                        .withNamespace(NS)
                        .addToLabels("app", "etcd")
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("etcd")
                        .withImage("quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:etcd")
                        .endContainer()
                        .withNodeName("master-1")
                        .endSpec()
                        .build())
                .create();
    }

    private static void progressing(String operator, String status) {
        var co = client.genericKubernetesResources(ControlPlane.CLUSTER_OPERATOR)
                .withName(operator)
                .get();
        co.getAdditionalProperties()
                .put(
                        "status",
                        Map.of(
                                "conditions",
                                List.of(
                                        Map.of("type", "Available", "status", "True"),
                                        Map.of("type", "Progressing", "status", status))));
        client.genericKubernetesResources(ControlPlane.CLUSTER_OPERATOR)
                .resource(co)
                .updateStatus();
    }

    /**
     * The kubelet of master-1: runs a new Job's container command — {@code chroot /host bash -c script},
     * here without the chroot, on the laid-out directory — and reports how it ended, as Kubernetes does.
     */
    private void runJobs(Path etc, Path tmp) throws Exception {
        for (Job job : client.batch().v1().jobs().inNamespace(NS).list().getItems()) {
            if (job.getStatus() != null
                    && (job.getStatus().getSucceeded() != null
                            || job.getStatus().getFailed() != null)) {
                continue;
            }
            var pod = job.getSpec().getTemplate().getSpec();
            assertThat(pod.getNodeSelector()).containsEntry("node-role.kubernetes.io/master", "");
            var container = pod.getContainers().get(0);
            assertThat(container.getImage()).isEqualTo("quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:etcd");
            assertThat(container.getCommand()).startsWith("chroot", "/host", "/bin/bash", "-c");
            assertThat(pod.getVolumes().get(0).getHostPath().getPath()).isEqualTo("/");
            Secret secret = client.secrets()
                    .inNamespace(NS)
                    .withName(job.getMetadata().getName())
                    .get();
            ProcessBuilder script =
                    new ProcessBuilder("bash", "-c", container.getCommand().get(4));
            uploadUrls.add(value(secret, "url"));
            script.environment().put("UPLOAD_URL", value(secret, "url"));
            script.environment().put("UPLOAD_HEADERS", value(secret, "headers"));
            script.environment().put("CONFIG_FILE_DIR", etc.toString());
            script.environment().put("WORK_DIR", tmp.toString());
            Process run = script.redirectErrorStream(true).start();
            String log = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = run.waitFor();
            jobsRun.add(job.getMetadata().getName());
            client.pods()
                    .inNamespace(NS)
                    .resource(new PodBuilder()
                            .withNewMetadata()
                            .withName(job.getMetadata().getName() + "-x1")
                            .withNamespace(NS)
                            .addToLabels("job-name", job.getMetadata().getName())
                            .endMetadata()
                            .withNewSpec()
                            .withNodeName("master-1")
                            .endSpec()
                            .build())
                    .create();
            if (exit == 0) {
                job.setStatus(new JobStatusBuilder().withSucceeded(1).build());
            } else {
                nodeFailures.add(log);
                job.setStatus(new JobStatusBuilder()
                        .withFailed(1)
                        .withConditions(new JobConditionBuilder()
                                .withType("Failed")
                                .withStatus("True")
                                .withReason("BackoffLimitExceeded")
                                .withMessage("Job has reached the specified backoff limit")
                                .build())
                        .build());
            }
            client.batch().v1().jobs().inNamespace(NS).resource(job).updateStatus();
        }
    }

    private static String value(Secret secret, String key) {
        if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
            return secret.getStringData().get(key);
        }
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }

    private SecretScan scan(Backplane backplane, List<String> needles) throws Exception {
        SecretScan scan = new SecretScan(needles);
        try (Stream<Path> logs = Files.list(state.resolve("services"))) {
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                scan.lines(log.getFileName().toString(), Files.readAllLines(log));
            }
        }
        scan.topics(backplane.kafka().bootstrapServers());
        try (var s3 = backplane.s3().client()) {
            for (String bucket : List.of(backplane.bucket(), KEY_STORE)) { // the key store holds only sealed bundles
                for (var object :
                        s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                    scan.bytes(
                            "s3://" + bucket + "/" + object.key(),
                            s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key()))
                                    .asByteArray());
                }
            }
        }
        return scan;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (Exception e) {
            return "(no log at " + log + ": " + e + ")";
        }
    }

    private static List<String> tree(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> root.relativize(p).startsWith("static-pod-resources"))
                    .map(p -> root.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    private static String sh(Path dir, String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(command + ": " + out).isZero();
        return out;
    }

    private Path credentials(Backplane backplane) throws Exception {
        return backplane.s3().writeCredentials(state.resolve("s3.properties"));
    }

    private Path kubeconfig() throws Exception {
        return MockKubeconfig.write(
                state.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), null);
    }

    private Guardianctl.Run ctl(String... args) {
        return Guardianctl.inState(state, args);
    }
}
