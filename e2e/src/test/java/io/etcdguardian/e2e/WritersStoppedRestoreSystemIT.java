package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.MockKubeconfig;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.cli.local.LocalServices;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's "snapshot the active member now, then restore it" for a hosted cluster on-prem, with the
 * four services as processes: restore-service stops the API servers, has snapshot-service take a
 * snapshot of the real etcd (nothing writes now), stages exactly that one, and the restore Job — the
 * test plays the kubelet and the controllers of the hosted control plane, the only mock — fetches it
 * through its presigned URL, SHA-256 checked.
 */
@EnableKubernetesMockClient(crud = true)
class WritersStoppedRestoreSystemIT {
    private static final String CLUSTER = "wstop";
    private static final String CP = "clusters-hc1";
    static KubernetesClient client;

    @TempDir
    Path state;

    private final List<String> fetchedSha256 = new CopyOnWriteArrayList<>();

    @Test
    void aSnapshotTakenOnceWritersStoppedIsTheOneRestored() throws Exception {
        Backplane backplane =
                Backplane.startOrReuse(state, new Backplane.Options(3, 0, "etcd-snapshots"), TopicSpec.ofContract());
        LocalServices services = new LocalServices(
                backplane.stateDir(), Path.of("..").toAbsolutePath().normalize());
        AtomicBoolean playing = new AtomicBoolean(true);
        Thread controllers = new Thread(
                () -> {
                    while (playing.get()) {
                        try {
                            reconcile();
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception changedUnderUs) {
                            // next round
                        }
                    }
                },
                "test-controllers");
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower restores = stream.follow(Topics.RESTORE_EVENTS);
                EventStream.Follower snapshots = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            hostedControlPlane();
            for (int i = 0; i < 50; i++) {
                backplane.etcd().etcdctl("put", "/registry/wstop/key-" + i, "value-" + i);
            }
            Path kubeconfig = MockKubeconfig.write(
                    state.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), null);
            Path credentials = backplane.s3().writeCredentials(state.resolve("s3.properties"));
            Path fleet = Files.writeString(state.resolve("fleet.yaml"), """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s] }
                        store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                        kubernetes: { kind: hosted-onprem, namespace: clusters, name: hc1, kubeconfig: %s }
                    """.formatted(
                            CLUSTER,
                            String.join(", ", backplane.etcd().endpoints()),
                            backplane.bucket(),
                            backplane.s3().endpoint(),
                            credentials,
                            kubeconfig));
            services.start(
                    Map.of(
                            "KAFKA_BOOTSTRAP_SERVERS",
                            backplane.kafka().bootstrapServers(),
                            "GUARDIAN_FLEET_FILE",
                            fleet.toString(),
                            "GUARDIAN_RESTORE_WAIT_INTERVAL",
                            "200ms",
                            // S3Proxy's filesystem backend answers server-side encryption with 501 (StagedCopiesIT
                            // checks it on the transient backend)
                            "GUARDIAN_RESTORE_STAGED_ENCRYPTION",
                            "false"),
                    Duration.ofSeconds(120));
            controllers.start();

            RestoreRequested asked =
                    new RestoreRequested(CLUSTER, RestoreRequested.WRITERS_STOPPED, null, false, false, "test");
            String dry = stream.publish("/test", asked.planOnly()).getId();
            RestorePlanned plan = (RestorePlanned) restores.await(
                            e -> e instanceof RestorePlanned p && p.restoreId().equals(dry), Duration.ofSeconds(90))
                    .orElseThrow();
            assertThat(plan.steps())
                    .extracting(RestorePlanned.Step::name)
                    .as("no separate pre-restore backup: the" + " writers-stopped snapshot is it")
                    .containsExactly(
                            "pause-reconciliation",
                            "stop-api-servers",
                            "snapshot-writers-stopped",
                            "stage-snapshot",
                            "stop-etcd",
                            "delete-member-volumes",
                            "restore-member-0",
                            "cleanup",
                            "start-etcd",
                            "start-api-servers",
                            "unpause-reconciliation");
            assertThat(plan.notes()).anyMatch(n -> n.contains("once the API servers are stopped"));

            String id =
                    stream.publish("/test", asked.applying(plan.planDigest())).getId();
            List<RestoreProgress> steps = new ArrayList<>();
            while (steps.isEmpty() || !steps.get(steps.size() - 1).step().equals("restore")) {
                GuardianEvent e = restores.await(
                                x -> x instanceof RestoreProgress p
                                        && p.restoreId().equals(id),
                                Duration.ofSeconds(180))
                        .orElseThrow(() ->
                                new AssertionError("stalled after " + steps + "; logs in " + backplane.stateDir()));
                steps.add((RestoreProgress) e);
            }
            assertThat(steps.get(steps.size() - 1).status())
                    .as(steps.get(steps.size() - 1).detail())
                    .isEqualTo(ProgressStatus.COMPLETED);
            RestoreProgress stopped = steps.stream()
                    .filter(p -> p.step().equals("stop-api-servers") && p.status() == ProgressStatus.DONE)
                    .findFirst()
                    .orElseThrow();
            String taken = steps.stream()
                    .filter(p -> p.step().equals("snapshot-writers-stopped") && p.status() == ProgressStatus.DONE)
                    .findFirst()
                    .orElseThrow()
                    .detail()
                    .split(" ")[1];
            SnapshotCompleted snapshot = (SnapshotCompleted) snapshots
                    .await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.snapshotId().equals(taken),
                            Duration.ofSeconds(30))
                    .orElseThrow();
            assertThat(snapshot.takenAt())
                    .as("taken after the API servers stopped")
                    .isAfterOrEqualTo(stopped.at().minusMillis(1000));
            assertThat(snapshot.totalKeys()).isGreaterThanOrEqualTo(50);
            assertThat(fetchedSha256)
                    .as("the Job restored exactly that snapshot")
                    .containsExactly(snapshot.sha256());
            assertThat(client.apps().deployments().inNamespace(CP).list().getItems())
                    .allSatisfy(d -> assertThat(d.getSpec().getReplicas()).isEqualTo(2));
            assertThat(backplane
                            .s3()
                            .client()
                            .listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(CLUSTER + "/restores/"))
                            .contents())
                    .as("staged copy removed")
                    .isEmpty();
        } finally {
            playing.set(false);
            controllers.join(5000);
            services.stop();
            backplane.stop();
        }
    }

    /** A hosted control plane as HyperShift lays it out, at the version the snapshots record. */
    private static void hostedControlPlane() {
        var hc = client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace("clusters")
                .resource(new GenericKubernetesResourceBuilder()
                        .withApiVersion("hypershift.openshift.io/v1beta1")
                        .withKind("HostedCluster")
                        .withNewMetadata()
                        .withName("hc1")
                        .withNamespace("clusters")
                        .endMetadata()
                        .addToAdditionalProperties("spec", new java.util.HashMap<>())
                        .build())
                .create();
        hc.getAdditionalProperties()
                .put(
                        "status",
                        Map.of(
                                "version",
                                Map.of("history", List.of(Map.of("state", "Completed", "version", "4.16.2")))));
        client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace("clusters")
                .resource(hc)
                .updateStatus();
        for (String d : List.of("kube-apiserver", "openshift-apiserver", "openshift-oauth-apiserver")) {
            client.apps()
                    .deployments()
                    .inNamespace(CP)
                    .resource(new DeploymentBuilder()
                            .withNewMetadata()
                            .withName(d)
                            .withNamespace(CP)
                            .endMetadata()
                            .withNewSpec()
                            .withReplicas(2)
                            .endSpec()
                            .build())
                    .create();
        }
        client.apps()
                .statefulSets()
                .inNamespace(CP)
                .resource(new StatefulSetBuilder()
                        .withNewMetadata()
                        .withName("etcd")
                        .withNamespace(CP)
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(3)
                        .withNewTemplate()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("etcd")
                        .withImage("quay.io/openshift/etcd:v3.5.35")
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        for (int i = 0; i < 3; i++) {
            client.persistentVolumeClaims()
                    .inNamespace(CP)
                    .resource(new PersistentVolumeClaimBuilder()
                            .withNewMetadata()
                            .withName("data-etcd-" + i)
                            .withNamespace(CP)
                            .endMetadata()
                            .build())
                    .create();
        }
    }

    /** Status follows spec; a restore Job fetches its URL from its Secret (as its init container's curl does). */
    private void reconcile() throws Exception {
        for (var d : client.apps().deployments().inNamespace(CP).list().getItems()) {
            int want = d.getSpec().getReplicas();
            if (d.getStatus() == null
                    || d.getStatus().getReplicas() == null
                    || d.getStatus().getReplicas() != want) {
                d.setStatus(new DeploymentStatusBuilder()
                        .withReplicas(want)
                        .withReadyReplicas(want)
                        .build());
                client.apps().deployments().inNamespace(CP).resource(d).updateStatus();
            }
        }
        for (var s : client.apps().statefulSets().inNamespace(CP).list().getItems()) {
            int want = s.getSpec().getReplicas();
            if (s.getStatus() == null
                    || s.getStatus().getReplicas() == null
                    || s.getStatus().getReplicas() != want) {
                s.setStatus(new StatefulSetStatusBuilder()
                        .withReplicas(want)
                        .withReadyReplicas(want)
                        .build());
                client.apps().statefulSets().inNamespace(CP).resource(s).updateStatus();
            }
        }
        for (Job job : client.batch().v1().jobs().inNamespace(CP).list().getItems()) {
            if (job.getStatus() == null || job.getStatus().getSucceeded() == null) {
                var secret = client.secrets()
                        .inNamespace(CP)
                        .withName(job.getMetadata().getName())
                        .get();
                String url =
                        secret.getStringData() != null && secret.getStringData().get("url") != null
                                ? secret.getStringData().get("url")
                                : new String(java.util.Base64.getDecoder()
                                        .decode(secret.getData().get("url")));
                byte[] body = HttpClient.newHttpClient()
                        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray())
                        .body();
                byte[] digest =
                        MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(body, body.length - 32));
                assertThat(HexFormat.of().formatHex(digest))
                        .as("the trailer")
                        .isEqualTo(HexFormat.of().formatHex(body, body.length - 32, body.length));
                fetchedSha256.add(HexFormat.of().formatHex(digest));
                job.setStatus(new JobStatusBuilder().withSucceeded(1).build());
                client.batch().v1().jobs().inNamespace(CP).resource(job).updateStatus();
            }
        }
    }
}
