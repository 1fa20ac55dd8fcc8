package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.FaultMatrixScope;
import io.etcdguardian.backplane.MockKubeconfig;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.common.snapshot.Keyring;
import io.etcdguardian.common.snapshot.SnapshotEncryption;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micronaut.context.ApplicationContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes procedures against the fabric8 mock API server (CRUD): the exact sequence of API
 * calls restore-service makes and the objects it leaves. The test plays the controllers — Deployment
 * and StatefulSet status follows spec, the restore Job succeeds (after fetching the snapshot through
 * the presigned URL from its Secret, for real, from S3Proxy), HyperShift reports etcd available,
 * OpenShift's operators reach the latest revision — with a client marked by a header so that its own
 * calls can be told apart.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BackplaneExtension.class)
class ControlPlaneRestoreMockIT {
    private static final String CP = "clusters-hc1";
    static KubernetesMockServer server;
    static KubernetesClient client;

    @TempDir
    Path dir;

    private KubernetesClient controllers;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean etcdStuck = new AtomicBoolean(false);
    private final AtomicBoolean jobStuck = new AtomicBoolean(false);
    private final AtomicBoolean openShiftPlayed = new AtomicBoolean(false);
    private final List<String> rollouts = new CopyOnWriteArrayList<>();
    private final java.util.Queue<io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest> approvals =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final List<io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext> OPENSHIFT_OPERATORS =
            List.of(
                    ControlPlane.ETCD_OPERATOR, ControlPlane.KUBE_API_SERVER_OPERATOR,
                    ControlPlane.KUBE_CONTROLLER_MANAGER_OPERATOR, ControlPlane.KUBE_SCHEDULER_OPERATOR);
    private final List<String> fetchedSha256 = new CopyOnWriteArrayList<>();
    private Thread loop;
    private static int taken;

    @BeforeEach
    void playTheControllers() {
        Config config = new ConfigBuilder(client.getConfiguration())
                .withCustomHeaders(Map.of("X-Test", "controller"))
                .build();
        controllers = new KubernetesClientBuilder().withConfig(config).build();
        loop = controllerLoop();
        loop.start();
    }

    private Thread controllerLoop() {
        return new Thread(
                () -> {
                    while (running.get()) {
                        try {
                            reconcile();
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException ignored) {
                            // an object changed under us: next round
                        }
                    }
                },
                "test-controllers");
    }

    @AfterEach
    void stop() throws InterruptedException {
        running.set(false);
        loop.join(5000);
        controllers.close();
    }

    @Test
    void hostedOnPremFollowsTheSeedStepByStep(Backplane backplane) throws Exception {
        String cluster = "onprem-" + UUID.randomUUID().toString().substring(0, 6);
        hostedCluster("hc1", "4.14.12", false);
        controlPlane(CP, Map.of("kube-apiserver", 3, "openshift-apiserver", 3, "openshift-oauth-apiserver", 3));
        SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, backplane.etcd(), dir, "4.14.12");
        try (ApplicationContext service = RestoreServiceUnderTest.start(RestoreServiceUnderTest.settings(
                        backplane, fleet(backplane, cluster, "hosted-onprem"), dir, "restore-" + cluster));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            String dry = stream.publish("/test", new RestoreRequested(cluster, null, null, true, false, "test"))
                    .getId();
            RestorePlanned plan = (RestorePlanned) events.await(
                            e -> e instanceof RestorePlanned p && p.restoreId().equals(dry), Duration.ofSeconds(60))
                    .orElseThrow();
            // staged and checked first: nothing is destroyed before what replaces it is in place
            assertThat(plan.steps())
                    .extracting(RestorePlanned.Step::name)
                    .containsExactly(
                            "stage-snapshot",
                            "pause-reconciliation",
                            "stop-api-servers",
                            "stop-etcd",
                            "delete-member-volumes",
                            "restore-member-0",
                            "cleanup",
                            "start-etcd",
                            "start-api-servers",
                            "unpause-reconciliation");
            String job = String.join(" ", plan.steps().get(5).touches());
            assertThat(job)
                    .as("restored into a new directory, swapped in only after etcdutl succeeded")
                    .contains("set -e; rm -rf /var/lib/data.restoring;", "mv /var/lib/data.restoring /var/lib/data")
                    .doesNotContain("rm -rf /var/lib/data &&", "rm -rf /var/lib/data;");
            assertThat(job)
                    .contains("etcdutl snapshot restore /var/lib/restored.snap.db --data-dir=/var/lib/data.restoring"
                            + " --name etcd-0 --initial-cluster-token=etcd-cluster --initial-cluster etcd-0=https://etcd-0"
                            + ".etcd-discovery." + CP + ".svc:2380,etcd-1=https://etcd-1.etcd-discovery." + CP
                            + ".svc:2380,"
                            + "etcd-2=https://etcd-2.etcd-discovery." + CP + ".svc:2380 --initial-advertise-peer-urls"
                            + " https://etcd-0.etcd-discovery." + CP + ".svc:2380")
                    .doesNotContain("X-Amz-Signature");
            assertThat(client.apps()
                            .statefulSets()
                            .inNamespace(CP)
                            .withName("etcd")
                            .get()
                            .getSpec()
                            .getReplicas())
                    .as("the dry run touched nothing")
                    .isEqualTo(3);

            drainRecorded();
            String id = stream.publish(
                            "/test",
                            new RestoreRequested(cluster, null, null, false, false, "test").applying(plan.planDigest()))
                    .getId();
            List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
            assertThat(steps)
                    .filteredOn(p -> p.status() == ProgressStatus.DONE)
                    .extracting(RestoreProgress::step)
                    .startsWith("stage-snapshot", "pause-reconciliation");
            List<String> order =
                    steps.stream().map(p -> p.step() + " " + p.status()).toList();
            assertThat(order.indexOf("stage-snapshot DONE"))
                    .as("staged before anything else started: " + order)
                    .isLessThan(order.indexOf("pause-reconciliation STARTED"))
                    .isNotNegative();
        }
        assertThat(serviceCalls())
                .containsSubsequence(
                        "PATCH /apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/hc1",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/deployments/kube-apiserver",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/deployments/openshift-apiserver",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/deployments/openshift-oauth-apiserver",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/statefulsets/etcd",
                        "DELETE /api/v1/namespaces/" + CP + "/persistentvolumeclaims/data-etcd-1",
                        "DELETE /api/v1/namespaces/" + CP + "/persistentvolumeclaims/data-etcd-2",
                        "POST /api/v1/namespaces/" + CP + "/secrets",
                        "POST /apis/batch/v1/namespaces/" + CP + "/jobs",
                        "DELETE /apis/batch/v1/namespaces/" + CP + "/jobs/guardian-restore-",
                        "DELETE /api/v1/namespaces/" + CP + "/secrets/guardian-restore-",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/statefulsets/etcd",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/deployments/kube-apiserver",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/deployments/openshift-apiserver",
                        "PATCH /apis/apps/v1/namespaces/" + CP + "/deployments/openshift-oauth-apiserver",
                        "PATCH /apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters/hc1");
        // the final objects: everything back as it was, member 0 restored from exactly the snapshot
        assertThat(client.apps()
                        .statefulSets()
                        .inNamespace(CP)
                        .withName("etcd")
                        .get()
                        .getSpec()
                        .getReplicas())
                .isEqualTo(3);
        assertThat(client.apps().deployments().inNamespace(CP).list().getItems())
                .allSatisfy(d -> assertThat(d.getSpec().getReplicas()).isEqualTo(3));
        assertThat(client.persistentVolumeClaims().inNamespace(CP).list().getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactly("data-etcd-0");
        assertThat(client.batch().v1().jobs().inNamespace(CP).list().getItems()).isEmpty();
        assertThat(client.secrets().inNamespace(CP).list().getItems()).isEmpty();
        assertThat(ControlPlane.text(hosted("hc1").getAdditionalProperties(), "spec", "pausedUntil"))
                .isNull();
        assertThat(fetchedSha256).as("the Job's URL served the snapshot").containsExactly(snapshot.sha256());
        assertThat(backplane
                        .s3()
                        .client()
                        .listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(cluster + "/restores/"))
                        .contents())
                .as("staged copy removed")
                .isEmpty();
    }

    /**
     * The seed's other source: member 0's own member/snap/db when no snapshot can be taken. Nothing is
     * staged (no Secret, no URL, no fetch); the plan says it is restored without a hash check; the other
     * members' volumes go only after member 0's Job restored it.
     */
    @Test
    void hostedOnPremFromMemberZerosOwnDataFile(Backplane backplane) throws Exception {
        String cluster = "memberdb-" + UUID.randomUUID().toString().substring(0, 6);
        String ns = "clusters-hc5";
        hostedCluster("hc5", "4.14.12", false);
        controlPlane(ns, Map.of("kube-apiserver", 2, "openshift-apiserver", 2, "openshift-oauth-apiserver", 2));
        try (ApplicationContext service = RestoreServiceUnderTest.start(RestoreServiceUnderTest.settings(
                        backplane, fleet(backplane, cluster, "hosted-onprem", "hc5"), dir, "restore-" + cluster));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            RestoreRequested asked =
                    new RestoreRequested(cluster, RestoreRequested.MEMBER_DB, null, false, false, "test");
            String dry = stream.publish("/test", asked.planOnly()).getId();
            RestorePlanned plan = (RestorePlanned) events.await(
                            e -> e instanceof RestorePlanned p && p.restoreId().equals(dry), Duration.ofSeconds(60))
                    .orElseThrow();
            assertThat(plan.steps())
                    .extracting(RestorePlanned.Step::name)
                    .containsExactly(
                            "pause-reconciliation",
                            "stop-api-servers",
                            "stop-etcd",
                            "restore-member-0",
                            "delete-member-volumes",
                            "cleanup",
                            "start-etcd",
                            "start-api-servers",
                            "unpause-reconciliation");
            assertThat(plan.notes())
                    .anyMatch(n -> n.contains("member 0's own member/snap/db") && n.contains("--skip-hash-check"));
            assertThat(String.join(" ", plan.steps().get(3).touches()))
                    .contains(
                            "cp /var/lib/data/member/snap/db /var/lib/restored.snap.db.part",
                            "etcdutl snapshot restore /var/lib/restored.snap.db --skip-hash-check --data-dir=/var/lib/data.restoring");

            drainRecorded();
            String id =
                    stream.publish("/test", asked.applying(plan.planDigest())).getId();
            List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
            assertThat(steps.get(steps.size() - 1).detail()).contains("member 0's own member/snap/db");
        }
        List<String> calls = serviceCalls();
        assertThat(calls)
                .containsSubsequence(
                        "PATCH /apis/apps/v1/namespaces/" + ns + "/statefulsets/etcd",
                        "POST /apis/batch/v1/namespaces/" + ns + "/jobs",
                        "DELETE /api/v1/namespaces/" + ns + "/persistentvolumeclaims/data-etcd-1",
                        "DELETE /api/v1/namespaces/" + ns + "/persistentvolumeclaims/data-etcd-2",
                        "DELETE /apis/batch/v1/namespaces/" + ns + "/jobs/guardian-restore-",
                        "PATCH /apis/apps/v1/namespaces/" + ns + "/statefulsets/etcd");
        assertThat(calls).noneMatch(c -> c.contains("/secrets"));
        assertThat(fetchedSha256).as("nothing fetched from the store").isEmpty();
        assertThat(client.persistentVolumeClaims().inNamespace(ns).list().getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactly("data-etcd-0");
    }

    @Test
    void hostedOnAwsChecksTheKeyThenCreatesTheHostedClusterWithAShortLivedUrl(Backplane backplane) throws Exception {
        String[] restoreId = new String[1];
        String cluster = "aws-" + UUID.randomUUID().toString().substring(0, 6);
        String key = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
        hostedCluster("hc2", "4.14.12", true);
        client.secrets()
                .inNamespace("clusters")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("hc2-key")
                        .endMetadata()
                        .addToData("key", key)
                        .build())
                .create();
        backplane.s3().createBucket("etcd-keys");
        SnapshotManifest plain = CommittedSnapshots.commit(backplane, "", cluster, backplane.etcd(), dir, "4.14.12");
        String bundleKey = "keys/" + cluster + "/" + plain.snapshotId() + ".keys.json.enc";
        byte[] bundle = ("{\"secrets\":[{\"name\":\"hc2-key\",\"slot\":\"activeKey\",\"data\":{\"key\":\"" + key
                        + "\"}},{\"name\":\"hc2-old\",\"slot\":\"backupKey\",\"data\":{\"key\":\""
                        + Base64.getEncoder().encodeToString("another-key-another-key-another!".getBytes()) + "\"}}]}")
                .getBytes(StandardCharsets.UTF_8);
        // planted in the clear, as a key store written by hand or by an old version would hold it
        backplane
                .s3()
                .client()
                .putObject(
                        b -> b.bucket("etcd-keys").key(bundleKey),
                        software.amazon.awssdk.core.sync.RequestBody.fromBytes(bundle));
        SnapshotManifest snapshot = withBundle(backplane, cluster, plain, bundleKey);
        try (ApplicationContext service = RestoreServiceUnderTest.start(RestoreServiceUnderTest.settings(
                        backplane, fleet(backplane, cluster, "hosted-aws"), dir, "restore-" + cluster));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            // the cluster now runs another z-stream: refused, nothing touched
            setVersion("hc2", "4.14.13");
            String refused = stream.publish(
                            "/test",
                            new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test")
                                    .applying("sha256:000000000000000000000000"))
                    .getId();
            List<RestoreProgress> refusal = until(events, refused, ProgressStatus.REFUSED);
            assertThat(refusal.get(refusal.size() - 1).detail()).contains("VERSION_MISMATCH", "4.14.12", "4.14.13");
            assertThat(hosted("hc2").getAdditionalProperties().toString()).doesNotContain("restoreSnapshotURL");

            setVersion("hc2", "4.14.12");
            String plaintext = stream.publish(
                            "/test",
                            new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test")
                                    .applying("sha256:000000000000000000000000"))
                    .getId();
            List<RestoreProgress> plainRefusal = until(events, plaintext, ProgressStatus.REFUSED);
            assertThat(plainRefusal.get(plainRefusal.size() - 1).detail())
                    .as("a plaintext key bundle is refused")
                    .contains("is not a sealed key bundle")
                    .doesNotContain(key);
            assertThat(hosted("hc2").getAdditionalProperties().toString()).doesNotContain("restoreSnapshotURL");
            backplane
                    .s3()
                    .client()
                    .putObject(
                            b -> b.bucket("etcd-keys").key(bundleKey),
                            software.amazon.awssdk.core.sync.RequestBody.fromBytes(
                                    KeyBundles.seal(bundleKeys(), cluster, snapshot.snapshotId(), bundle)));

            drainRecorded();
            String id = RestoreServiceUnderTest.applyPlan(
                    stream,
                    events,
                    new RestoreRequested(
                            cluster,
                            snapshot.snapshotId(),
                            null,
                            false,
                            false,
                            "test",
                            null,
                            null,
                            List.of(RestoreRequested.RECREATE_ENCRYPTION_SECRET),
                            null));
            restoreId[0] = id;
            List<RestoreProgress> handedOver = until(events, id, ProgressStatus.HANDED_OVER);
            assertThat(handedOver)
                    .filteredOn(p -> p.step().equals("check-encryption-key") && p.status() == ProgressStatus.DONE)
                    .singleElement()
                    .extracting(RestoreProgress::detail)
                    .asString()
                    .contains("hc2-key")
                    .contains("was activeKey");
            assertThat(handedOver.get(handedOver.size() - 1).detail())
                    .contains("oc delete hostedcluster -n clusters hc2 --wait", "--resume " + id);
            assertThat(serviceCalls())
                    .as("a running HostedCluster is never patched or deleted by the service")
                    .isEmpty();
            running.set(true);
            loop = controllerLoop();
            loop.start();

            // the operator deletes it; its key secret goes too (a management cluster rebuilt, say)
            client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                    .inNamespace("clusters")
                    .withName("hc2")
                    .delete();
            client.secrets().inNamespace("clusters").withName("hc2-key").delete();
            drainRecorded(); // the operator's calls, not the service's
            stream.publish("/test", new RestoreRequested(cluster, null, null, false, false, "test", id));
            List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
            assertThat(steps)
                    .filteredOn(p -> p.status() == ProgressStatus.SKIPPED)
                    .extracting(RestoreProgress::step)
                    .containsExactly("save-hostedcluster", "check-encryption-key");
            assertThat(steps)
                    .filteredOn(
                            p -> p.status() == ProgressStatus.DONE && !p.step().equals("preconditions"))
                    .extracting(RestoreProgress::step)
                    .containsExactly(
                            "delete-hostedcluster",
                            "stage-snapshot",
                            "create-hostedcluster",
                            "await-etcd-restored",
                            "cleanup");
            assertThat(steps)
                    .filteredOn(p -> p.step().equals("create-hostedcluster") && p.status() == ProgressStatus.DONE)
                    .singleElement()
                    .extracting(RestoreProgress::detail)
                    .asString()
                    .contains("re-created from the key bundle");
            assertThat(steps.toString()).doesNotContain("X-Amz-Signature").doesNotContain(key);
        }
        assertThat(serviceCalls())
                .containsExactly(
                        "POST /api/v1/namespaces/clusters/secrets",
                        "POST /apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters");
        assertThat(fetchedSha256)
                .as("HyperShift fetched the snapshot through the URL")
                .containsExactly(snapshot.sha256());
        GenericKubernetesResource created = hosted("hc2");
        assertThat(ControlPlane.text(created.getAdditionalProperties(), "spec", "release", "image"))
                .as("created from the saved object")
                .isEqualTo("quay.io/openshift-release-dev/ocp-release:4.14.12-x86_64");
        assertThat(ControlPlane.at(
                        created.getAdditionalProperties(), "spec", "etcd", "managed", "storage", "restoreSnapshotURL"))
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .singleElement()
                .asString()
                .contains("X-Amz-Signature");
        assertThat(created.getMetadata().getAnnotations()).containsEntry("etcd-guardian.io/restore", restoreId[0]);
        assertThat(client.secrets()
                        .inNamespace("clusters")
                        .withName("hc2-key")
                        .get()
                        .getData()
                        .get("key"))
                .as("the key that was activeKey at backup")
                .isEqualTo(key);
    }

    @Test
    void putsBackTheIntendedStateAndStopsWhenTheClusterChangedWhileInterrupted(Backplane backplane) throws Exception {
        String cluster = "intent-" + UUID.randomUUID().toString().substring(0, 6);
        String ns = "clusters-hc3";
        hostedCluster("hc3", "4.14.12", false);
        // an outage left kube-apiserver at 0: "put back what was" would restore a stopped control plane
        Map<String, Integer> found =
                Map.of("kube-apiserver", 0, "openshift-apiserver", 2, "openshift-oauth-apiserver", 2);
        controlPlane(ns, found);
        SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, backplane.etcd(), dir, "4.14.12");
        Map<String, String> settings = RestoreServiceUnderTest.settings(
                backplane, fleet(backplane, cluster, "hosted-onprem", "hc3"), dir, "restore-" + cluster);
        RestoreRequested asked = new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test");
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            String id;
            Process first = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + "-first.log"));
            try {
                String dry = stream.publish("/test", asked.planOnly()).getId();
                assertThat(until(events, dry, ProgressStatus.REFUSED))
                        .last()
                        .extracting(RestoreProgress::detail)
                        .asString()
                        .contains("kube-apiserver was found at 0 replicas", "--api-server-replicas");

                RestoreRequested withIntent = new RestoreRequested(
                        cluster, snapshot.snapshotId(), null, false, false, "test", null, null, List.of(), 2);
                String shown = stream.publish("/test", withIntent.planOnly()).getId();
                RestorePlanned plan = (RestorePlanned) events.await(
                                e -> e instanceof RestorePlanned p
                                        && p.restoreId().equals(shown),
                                Duration.ofSeconds(60))
                        .orElseThrow();
                assertThat(plan.notes())
                        .anySatisfy(n ->
                                assertThat(n).contains("kube-apiserver was found at 0 replicas;" + " it gets 2 back"));
                // the etcd StatefulSet does not get to 0, and the service dies while it waits for it
                etcdStuck.set(true);
                id = stream.publish("/test", withIntent.applying(plan.planDigest()))
                        .getId();
                events.await(
                                e -> e instanceof RestoreProgress p
                                        && p.restoreId().equals(id)
                                        && p.step().equals("stop-etcd")
                                        && p.status() == ProgressStatus.STARTED,
                                Duration.ofSeconds(90))
                        .orElseThrow(() ->
                                new AssertionError("never reached stop-etcd; see target/" + cluster + "-first.log"));
            } finally {
                first.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            // meanwhile someone brings an API server back; then the request is delivered again
            client.apps()
                    .deployments()
                    .inNamespace(ns)
                    .withName("openshift-apiserver")
                    .edit(d -> new DeploymentBuilder(d)
                            .editSpec()
                            .withReplicas(2)
                            .endSpec()
                            .build());
            try (ApplicationContext service = RestoreServiceUnderTest.start(settings)) {
                assertThat(until(events, id, ProgressStatus.FAILED))
                        .last()
                        .extracting(RestoreProgress::detail)
                        .asString()
                        .contains(
                                "changed while the restore was interrupted",
                                "deployment " + ns + "/openshift-apiserver is at 2 replicas again",
                                "--resume");
                assertThat(client.persistentVolumeClaims()
                                .inNamespace(ns)
                                .list()
                                .getItems())
                        .as("nothing destroyed meanwhile")
                        .hasSize(3);

                // the operator looked, and resumes on purpose: the step that no longer holds is done again
                etcdStuck.set(false);
                stream.publish("/test", new RestoreRequested(cluster, null, null, false, false, "test", id));
                List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
                assertThat(steps)
                        .anyMatch(p -> p.step().equals("stop-api-servers") && p.status() == ProgressStatus.REDO);
            }
        }
        assertThat(client.apps().deployments().inNamespace(ns).list().getItems())
                .allSatisfy(d -> assertThat(d.getSpec().getReplicas())
                        .as(d.getMetadata().getName())
                        .isEqualTo(2));
        assertThat(ControlPlane.text(hosted("hc3").getAdditionalProperties(), "spec", "pausedUntil"))
                .isNull();
    }

    @Test
    void aServiceKilledWhileMemberZeroIsReplacedResumesOnItsOwnAndDestroysNothingTwice(Backplane backplane)
            throws Exception {
        Hosted hc = hostedWithASnapshot(backplane, "kill0", "hc4");
        String cluster = hc.cluster();
        String ns = hc.namespace();
        SnapshotManifest snapshot = hc.snapshot();
        Map<String, String> settings = hc.settings();
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            String id;
            // the Job on member 0's volume does not finish, and the service is SIGKILLed while it waits for it:
            // member volumes 1..2 are deleted, member 0's data is being replaced
            jobStuck.set(true);
            Process first = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + "-first.log"));
            try {
                id = RestoreServiceUnderTest.applyPlan(
                        stream,
                        events,
                        new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test"));
                events.await(
                                e -> e instanceof RestoreProgress p
                                        && p.restoreId().equals(id)
                                        && p.step().equals("restore-member-0")
                                        && p.status() == ProgressStatus.STARTED,
                                Duration.ofSeconds(90))
                        .orElseThrow(() -> new AssertionError(
                                "never reached restore-member-0; see target/" + cluster + "-first.log"));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> !client.batch()
                                .v1()
                                .jobs()
                                .inNamespace(ns)
                                .list()
                                .getItems()
                                .isEmpty());
            } finally {
                first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(client.persistentVolumeClaims().inNamespace(ns).list().getItems())
                    .extracting(pvc -> pvc.getMetadata().getName())
                    .containsExactly("data-etcd-0");

            // nothing changed meanwhile: the redelivered request resumes on its own where it was
            jobStuck.set(false);
            try (ApplicationContext service = RestoreServiceUnderTest.start(settings)) {
                List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
                assertThat(steps)
                        .filteredOn(p -> p.status() == ProgressStatus.SKIPPED)
                        .extracting(RestoreProgress::step)
                        .containsExactly(
                                "stage-snapshot",
                                "pause-reconciliation",
                                "stop-api-servers",
                                "stop-etcd",
                                "delete-member-volumes");
                assertThat(steps)
                        .anyMatch(p -> p.step().equals("restore-member-0") && p.status() == ProgressStatus.DONE);
            }
            assertThat(client.persistentVolumeClaims().inNamespace(ns).list().getItems())
                    .as("member 0's volume, the one the snapshot was restored into, was never deleted")
                    .extracting(pvc -> pvc.getMetadata().getName())
                    .containsExactly("data-etcd-0");
            List<String> calls = serviceCalls();
            assertThat(calls).noneMatch(c -> c.startsWith("DELETE") && c.contains("data-etcd-0"));
            assertThat(calls)
                    .filteredOn(c -> c.startsWith("POST") && c.contains("/jobs"))
                    .as("the resumed step found its Job and waited for it: one Job, not two")
                    .hasSize(1);
        }
        assertBackAsItWas(ns, "hc4");
    }

    /** Every step of the hosted-onprem plan, in order: the kill matrix ends the service after each one's work. */
    private static final List<String> HOSTED_STEPS = List.of(
            "stage-snapshot",
            "pause-reconciliation",
            "stop-api-servers",
            "stop-etcd",
            "delete-member-volumes",
            "restore-member-0",
            "cleanup",
            "start-etcd",
            "start-api-servers",
            "unpause-reconciliation");

    /**
     * The hosted-onprem restore's kill matrix: restore-service is ended as SIGKILL would end it
     * ({@code Runtime.halt}) after each step's work and before the journal says it is done — where a
     * resume runs the step again —, and a new process resumes the redelivered request. After each: the
     * restore COMPLETED once; member 0's volume never deleted, the others deleted, one restore Job;
     * everything scaled back and reconciliation unpaused; no Job, Secret or staged copy left. In CI the
     * kill after the member volumes are deleted; every step with {@code -Dguardian.matrix=full}.
     */
    @Test
    void hostedOnPremKilledAtEveryStepResumesAndEndsOnce(Backplane backplane) throws Exception {
        List<String> steps = FaultMatrixScope.cases(HOSTED_STEPS, "delete-member-volumes"::equals);
        List<String> table = new ArrayList<>();
        for (String step : steps) {
            killedAt(backplane, step, "hk" + (table.size() + 1));
            table.add(
                    String.format("  %-14s %-34s %-8s %s", "hosted-onprem", "restore." + step, "SIGKILL", "survived"));
        }
        System.out.println("fault matrix (restore-service, hosted-onprem on the fabric8 mock), "
                + FaultMatrixScope.describe(steps.size(), HOSTED_STEPS.size()) + "\n" + String.join("\n", table)
                + "\n" + steps.size() + " faults injected, " + steps.size() + " survived, 0 lost");
    }

    private void killedAt(Backplane backplane, String step, String name) throws Exception {
        Hosted hc = hostedWithASnapshot(backplane, name, name);
        String cluster = hc.cluster();
        String ns = hc.namespace();
        SnapshotManifest snapshot = hc.snapshot();
        Map<String, String> settings = hc.settings();
        Map<String, String> armed = new java.util.HashMap<>(settings);
        armed.put("guardian.failpoints", "restore." + step);
        drainRecorded();
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            Path armedLog = Path.of("target", cluster + "-armed.log");
            Process first = RestoreServiceUnderTest.fork(armed, armedLog);
            RestoreRequested request =
                    new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "fault matrix");
            String id;
            try {
                id = RestoreServiceUnderTest.applyPlan(stream, events, request);
                assertThat(first.waitFor(120, TimeUnit.SECONDS))
                        .as("ended at " + step + "; see " + armedLog)
                        .isTrue();
                assertThat(Files.readString(armedLog)).contains("failpoint restore." + step + " armed");
            } finally {
                first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (ApplicationContext service = RestoreServiceUnderTest.start(settings)) {
                until(events, id, ProgressStatus.COMPLETED);
                assertThat(RestoreOutcomes.endsBeforeSentinel(stream, events, request, id))
                        .as("one final event")
                        .isEmpty();
            }
        }
        List<String> calls = serviceCalls();
        restartControllers();
        assertThat(calls)
                .as("member 0's volume, the one restored into, never deleted")
                .noneMatch(c -> c.startsWith("DELETE") && c.contains("data-etcd-0"));
        assertThat(calls)
                .filteredOn(c -> c.startsWith("POST") && c.contains("/jobs"))
                .as("one restore Job: a resumed step finds its Job")
                .hasSize(1);
        assertThat(client.persistentVolumeClaims().inNamespace(ns).list().getItems())
                .extracting(pvc -> pvc.getMetadata().getName())
                .containsExactly("data-etcd-0");
        assertBackAsItWas(ns, name);
        assertThat(client.batch().v1().jobs().inNamespace(ns).list().getItems())
                .as("Jobs left")
                .isEmpty();
        assertThat(client.secrets().inNamespace(ns).list().getItems())
                .as("Secrets left")
                .isEmpty();
        assertThat(backplane
                        .s3()
                        .client()
                        .listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(cluster + "/restores/"))
                        .contents())
                .as("staged copies left")
                .isEmpty();
    }

    /** A hosted cluster {@code name} (3 etcd members, API servers at 2) with a committed snapshot of its own. */
    private record Hosted(String cluster, String namespace, SnapshotManifest snapshot, Map<String, String> settings) {}

    private Hosted hostedWithASnapshot(Backplane backplane, String prefix, String name) throws Exception {
        String cluster = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        String ns = "clusters-" + name;
        hostedCluster(name, "4.14.12", false);
        controlPlane(ns, Map.of("kube-apiserver", 2, "openshift-apiserver", 2, "openshift-oauth-apiserver", 2));
        SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, backplane.etcd(), dir, "4.14.12");
        return new Hosted(
                cluster,
                ns,
                snapshot,
                RestoreServiceUnderTest.settings(
                        backplane, fleet(backplane, cluster, "hosted-onprem", name), dir, "restore-" + cluster));
    }

    /** etcd at 3 members, the API servers at 2, HyperShift's reconciliation unpaused. */
    private void assertBackAsItWas(String ns, String name) {
        assertThat(client.apps()
                        .statefulSets()
                        .inNamespace(ns)
                        .withName("etcd")
                        .get()
                        .getSpec()
                        .getReplicas())
                .isEqualTo(3);
        assertThat(client.apps().deployments().inNamespace(ns).list().getItems())
                .allSatisfy(d -> assertThat(d.getSpec().getReplicas())
                        .as(d.getMetadata().getName())
                        .isEqualTo(2));
        assertThat(ControlPlane.text(hosted(name).getAdditionalProperties(), "spec", "pausedUntil"))
                .isNull();
    }

    /** The controllers' loop again, after {@link #serviceCalls} stopped it to read the recorded requests. */
    private void restartControllers() {
        running.set(true);
        loop = controllerLoop();
        loop.start();
    }

    /**
     * The hosted-onprem restore's faults of the world around it (its kills are above; the local
     * target's whole matrix is in RestoreFaultMatrixIT and RestoreEnvironmentFaultIT): held at a
     * step ({@code restore.<step>.before=pause}), S3Proxy is stopped while the snapshot is staged, or
     * the etcd StatefulSet does not come back within the wait deadline. Each ends FAILED in place at
     * its step with the reason and the resume command, nothing destroyed beyond the plan's steps done;
     * once healed, the operator's resume completes, and no staged copy, Job or Secret is left.
     */
    @Test
    void hostedOnPremStopsInPlaceWhenTheWorldAroundItFailsAndResumes(Backplane backplane) throws Exception {
        Hosted hc = hostedWithASnapshot(backplane, "hostenv", "hc6");
        String cluster = hc.cluster();
        String ns = hc.namespace();
        SnapshotManifest snapshot = hc.snapshot();
        Map<String, String> settings = hc.settings();
        settings.put("guardian.restore.wait-timeout", "5s");
        settings.put("kafka.consumers.restore-" + cluster + ".session.timeout.ms", "6000");
        List<String> table = new ArrayList<>();
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            if (FaultMatrixScope.full()) { // the stop before anything is touched; CI runs the one after
                heldThenResumed(
                        backplane,
                        stream,
                        events,
                        settings,
                        cluster,
                        snapshot,
                        "stage-snapshot",
                        () -> backplane.s3().stop(),
                        () -> backplane.s3().start(),
                        steps -> {
                            assertThat(client.apps()
                                            .statefulSets()
                                            .inNamespace(ns)
                                            .withName("etcd")
                                            .get()
                                            .getSpec()
                                            .getReplicas())
                                    .as("nothing touched")
                                    .isEqualTo(3);
                            assertThat(client.persistentVolumeClaims()
                                            .inNamespace(ns)
                                            .list()
                                            .getItems())
                                    .hasSize(3);
                        });
                table.add(String.format(
                        "  %-14s %-16s %-44s %s",
                        "hosted-onprem", "stage-snapshot", "S3Proxy stopped, restarted", "survived"));
            }
            heldThenResumed(
                    backplane,
                    stream,
                    events,
                    settings,
                    cluster,
                    snapshot,
                    "start-etcd",
                    () -> etcdStuck.set(true),
                    () -> etcdStuck.set(false),
                    steps -> assertThat(client.persistentVolumeClaims()
                                    .inNamespace(ns)
                                    .list()
                                    .getItems())
                            .as("member 0's restored volume kept")
                            .extracting(c -> c.getMetadata().getName())
                            .containsExactly("data-etcd-0"));
            table.add(String.format(
                    "  %-14s %-16s %-44s %s",
                    "hosted-onprem", "start-etcd", "etcd not back within" + " the wait deadline", "survived"));
        } finally {
            backplane.s3().start(); // the next test's, should this one have failed while it was stopped
            etcdStuck.set(false);
        }
        System.out.println("fault matrix (restore-service, hosted-onprem on the fabric8 mock, environment), "
                + FaultMatrixScope.describe(table.size(), 2) + "\n"
                + String.join("\n", table) + "\n" + table.size() + " faults injected, " + table.size()
                + " survived, 0 lost");
        assertBackAsItWas(ns, "hc6");
    }

    /** One fault: injected while the service is held before {@code step}, healed once it stopped in place. */
    private void heldThenResumed(
            Backplane backplane,
            EventStream stream,
            EventStream.Follower events,
            Map<String, String> settings,
            String cluster,
            SnapshotManifest snapshot,
            String step,
            Runnable inject,
            Runnable heal,
            java.util.function.Consumer<List<RestoreProgress>> nothingBeyondThePlan)
            throws Exception {
        Path failpoints = Files.createDirectories(dir.resolve("failpoints-" + step));
        Path marker = failpoints.resolve("restore." + step + ".before.paused");
        Map<String, String> held = new java.util.HashMap<>(settings);
        held.put("guardian.failpoints", "restore." + step + ".before=pause");
        held.put("guardian.failpoints.dir", failpoints.toString());
        Process service = RestoreServiceUnderTest.fork(held, Path.of("target", cluster + "-" + step + ".log"));
        try {
            String id = RestoreServiceUnderTest.applyPlan(
                    stream, events, new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test"));
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(marker));
            inject.run();
            Files.delete(marker);
            List<RestoreProgress> steps = until(events, id, ProgressStatus.FAILED);
            RestoreProgress end = steps.get(steps.size() - 1);
            assertThat(end.detail())
                    .as("stopped in place at " + step + ", saying how to resume")
                    .contains(step)
                    .contains("--resume " + id);
            nothingBeyondThePlan.accept(steps);
            heal.run();
            stream.publish("/test", new RestoreRequested(cluster, null, null, false, false, "test", id));
            assertThat(until(events, id, ProgressStatus.COMPLETED))
                    .as("resumed by the operator once healed")
                    .anyMatch(p -> p.step().equals(step) && p.status() == ProgressStatus.DONE);
        } finally {
            Files.deleteIfExists(marker);
            service.destroy();
            service.waitFor(20, TimeUnit.SECONDS);
        }
        assertThat(client.batch().v1().jobs().inNamespace("clusters-hc6").list().getItems())
                .as("Jobs left")
                .isEmpty();
        assertThat(client.secrets().inNamespace("clusters-hc6").list().getItems())
                .as("Secrets left")
                .isEmpty();
        assertThat(backplane
                        .s3()
                        .client()
                        .listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(cluster + "/restores/"))
                        .contents())
                .as("staged copies left")
                .isEmpty();
    }

    /**
     * OpenShift in the seed's order: the host steps are handed over (nothing touched through the API),
     * the operator's resume confirms them, then the kubelets' CSRs — only those — are approved until the
     * control-plane nodes are Ready, and etcd, kube-apiserver, kube-controller-manager, kube-scheduler
     * are rolled out one after the other, each waited for by revision: the operators' stale
     * AllNodesAtLatestRevision condition stays true throughout, so a wait on it would not wait.
     */
    @Test
    void openShiftRestoresInTheSeedsOrder(Backplane backplane) throws Exception {
        String cluster = "ocp-" + UUID.randomUUID().toString().substring(0, 6);
        client.genericKubernetesResources(ControlPlane.CLUSTER_VERSION)
                .resource(new GenericKubernetesResourceBuilder()
                        .withApiVersion("config.openshift.io/v1")
                        .withKind("ClusterVersion")
                        .withNewMetadata()
                        .withName("version")
                        .endMetadata()
                        .addToAdditionalProperties(
                                "status", Map.of("history", List.of(Map.of("state", "Completed", "version", "4.15.3"))))
                        .build())
                .create();
        for (var operator : OPENSHIFT_OPERATORS) {
            GenericKubernetesResource r = client.genericKubernetesResources(operator)
                    .resource(new GenericKubernetesResourceBuilder()
                            .withApiVersion("operator.openshift.io/v1")
                            .withKind(operator.getKind())
                            .withNewMetadata()
                            .withName("cluster")
                            .endMetadata()
                            .addToAdditionalProperties("spec", Map.of())
                            .build())
                    .create();
            r.getAdditionalProperties()
                    .put("status", operandStatus(7, Map.of("master-0", 7L, "master-1", 7L, "master-2", 7L)));
            client.genericKubernetesResources(operator).resource(r).updateStatus();
        }
        for (String node : List.of("master-0", "master-1", "master-2")) {
            client.nodes()
                    .resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName(node)
                            .addToLabels("node-role.kubernetes.io/master", "")
                            .endMetadata()
                            .withNewStatus()
                            .addNewCondition()
                            .withType("Ready")
                            .withStatus("False")
                            .endCondition()
                            .endStatus()
                            .build())
                    .create();
            csr(
                    "csr-boot-" + node,
                    "kubernetes.io/kube-apiserver-client-kubelet",
                    "system:serviceaccount:openshift-machine-config-operator:node-bootstrapper");
        }
        csr("csr-other-signer", "example.com/custom-signer", "system:node:master-0");
        csr("csr-serving-not-a-node", "kubernetes.io/kubelet-serving", "system:serviceaccount:default:builder");
        etcdPod("master-0"); // the recovery host's etcd, started by cluster-restore.sh
        serveApprovals(
                "csr-boot-master-0",
                "csr-boot-master-1",
                "csr-boot-master-2",
                "csr-serving-master-0",
                "csr-serving-master-1",
                "csr-serving-master-2");
        openShiftPlayed.set(true);
        SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, backplane.etcd(), dir, "4.15.3");
        try (ApplicationContext service = RestoreServiceUnderTest.start(RestoreServiceUnderTest.settings(
                        backplane, fleet(backplane, cluster, "openshift"), dir, "restore-" + cluster));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            drainRecorded();
            String id = RestoreServiceUnderTest.applyPlan(
                    stream, events, new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test"));
            List<RestoreProgress> handedOver = until(events, id, ProgressStatus.HANDED_OVER);
            assertThat(handedOver.get(handedOver.size() - 1).detail())
                    .contains(
                            "recovery-host: ssh core@<each control-plane host>",
                            "copy-backup: guardianctl snapshots get " + cluster + " " + snapshot.snapshotId()
                                    + " --dir /home/core/backup",
                            "sudo mv /etc/kubernetes/manifests/etcd-pod.yaml /tmp && sudo crictl ps | grep etcd | grep -v operator",
                            "cluster-restore: sudo -E /usr/local/bin/cluster-restore.sh /home/core/backup",
                            "restart-kubelet: sudo systemctl restart kubelet.service",
                            "then: guardianctl restore " + cluster + " --resume " + id);
            assertThat(serviceCalls())
                    .as("nothing is changed through the API before the host steps are done")
                    .isEmpty();
            running.set(true);
            loop = controllerLoop();
            loop.start();

            stream.publish("/test", new RestoreRequested(cluster, null, null, false, false, "test", id));
            List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
            assertThat(steps)
                    .filteredOn(p -> p.status() == ProgressStatus.DONE)
                    .extracting(RestoreProgress::step)
                    .containsExactly(
                            "recovery-host",
                            "copy-backup",
                            "stop-static-pods",
                            "cluster-restore",
                            "restart-kubelet",
                            "approve-csrs",
                            "await-recovery-etcd",
                            "redeploy-etcd",
                            "redeploy-kube-apiserver",
                            "redeploy-kube-controller-manager",
                            "redeploy-kube-scheduler",
                            "await-members");
            assertThat(steps)
                    .filteredOn(p -> p.step().equals("approve-csrs") && p.status() == ProgressStatus.DONE)
                    .singleElement()
                    .extracting(RestoreProgress::detail)
                    .asString()
                    .contains(
                            "csr-boot-master-0",
                            "csr-serving-master-2",
                            "3 control-plane node(s) Ready",
                            "left pending for an operator (other signers): csr-other-signer csr-serving-not-a-node");
        }
        var csrs = client.certificates().v1().certificateSigningRequests();
        for (String node : List.of("master-0", "master-1", "master-2")) {
            assertThat(approved(csrs.withName("csr-boot-" + node).get())).isTrue();
            assertThat(approved(csrs.withName("csr-serving-" + node).get())).isTrue();
        }
        assertThat(csrs.withName("csr-other-signer").get().getStatus())
                .as("another signer: not ours to approve")
                .isNull();
        assertThat(csrs.withName("csr-serving-not-a-node").get().getStatus())
                .as("kubelet-serving asked for by a" + " service account, not a node")
                .isNull();
        List<String> patches =
                serviceCalls().stream().filter(c -> c.startsWith("PATCH")).toList();
        assertThat(patches)
                .containsExactly(
                        "PATCH /apis/operator.openshift.io/v1/etcds/cluster",
                        "PATCH /apis/operator.openshift.io/v1/kubeapiservers/cluster",
                        "PATCH /apis/operator.openshift.io/v1/kubecontrollermanagers/cluster",
                        "PATCH /apis/operator.openshift.io/v1/kubeschedulers/cluster");
        assertThat(rollouts)
                .as("each operand was asked for a new revision only once the previous one ran it on"
                        + " every node, and the first only after the nodes were Ready")
                .containsExactly(
                        "nodes Ready",
                        "etcds asked",
                        "etcds at 8 on every node",
                        "kubeapiservers asked",
                        "kubeapiservers at 8 on every node",
                        "kubecontrollermanagers asked",
                        "kubecontrollermanagers at 8 on every node",
                        "kubeschedulers asked",
                        "kubeschedulers at 8 on every node");
        for (var operator : OPENSHIFT_OPERATORS) {
            assertThat(ControlPlane.text(
                            client.genericKubernetesResources(operator)
                                    .withName("cluster")
                                    .get()
                                    .getAdditionalProperties(),
                            "spec",
                            "forceRedeploymentReason"))
                    .startsWith("recovery-etcd-guardian-");
        }
        assertThat(client.pods().inNamespace("openshift-etcd").list().getItems())
                .hasSize(3);
    }

    // --- the controllers the test plays ---

    private void reconcile() {
        for (var d : controllers.apps().deployments().inAnyNamespace().list().getItems()) {
            int want = d.getSpec().getReplicas();
            if (d.getStatus() == null
                    || d.getStatus().getReplicas() == null
                    || d.getStatus().getReplicas() != want) {
                d.setStatus(new DeploymentStatusBuilder()
                        .withReplicas(want)
                        .withReadyReplicas(want)
                        .withAvailableReplicas(want)
                        .build());
                controllers
                        .apps()
                        .deployments()
                        .inNamespace(d.getMetadata().getNamespace())
                        .resource(d)
                        .updateStatus();
            }
        }
        for (var s : controllers.apps().statefulSets().inAnyNamespace().list().getItems()) {
            int want = s.getSpec().getReplicas();
            if (etcdStuck.get() && s.getStatus() != null) {
                continue; // a StatefulSet controller that does not get there (a stuck volume detach, say)
            }
            if (s.getStatus() == null
                    || s.getStatus().getReplicas() == null
                    || s.getStatus().getReplicas() != want) {
                s.setStatus(new StatefulSetStatusBuilder()
                        .withReplicas(want)
                        .withReadyReplicas(want)
                        .build());
                controllers
                        .apps()
                        .statefulSets()
                        .inNamespace(s.getMetadata().getNamespace())
                        .resource(s)
                        .updateStatus();
            }
        }
        for (Job job : controllers.batch().v1().jobs().inAnyNamespace().list().getItems()) {
            String jobNs = job.getMetadata().getNamespace();
            boolean fetches =
                    !job.getSpec().getTemplate().getSpec().getInitContainers().isEmpty();
            if (!jobStuck.get()
                    && !fetches
                    && (job.getStatus() == null || job.getStatus().getSucceeded() == null)) {
                job.setStatus(new JobStatusBuilder().withSucceeded(1).build()); // restores member 0's own data file
                controllers.batch().v1().jobs().inNamespace(jobNs).resource(job).updateStatus();
            } else if (!jobStuck.get()
                    && (job.getStatus() == null || job.getStatus().getSucceeded() == null)) {
                String secret = job.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getInitContainers()
                        .get(0)
                        .getEnv()
                        .get(0)
                        .getValueFrom()
                        .getSecretKeyRef()
                        .getName();
                var s = controllers
                        .secrets()
                        .inNamespace(jobNs)
                        .withName(secret)
                        .get();
                String url = s.getStringData() != null && s.getStringData().get("url") != null
                        ? s.getStringData().get("url")
                        : new String(Base64.getDecoder().decode(s.getData().get("url")));
                fetch(url);
                job.setStatus(new JobStatusBuilder().withSucceeded(1).build());
                controllers.batch().v1().jobs().inNamespace(jobNs).resource(job).updateStatus();
            }
        }
        for (var hc : controllers
                .genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace("clusters")
                .list()
                .getItems()) {
            Object urls = ControlPlane.at(
                    hc.getAdditionalProperties(), "spec", "etcd", "managed", "storage", "restoreSnapshotURL");
            String cpNamespace = "clusters-" + hc.getMetadata().getName();
            var hcps = controllers
                    .genericKubernetesResources(ControlPlane.HOSTED_CONTROL_PLANE)
                    .inNamespace(cpNamespace);
            if (urls instanceof List<?> list
                    && !list.isEmpty()
                    && hcps.withName(hc.getMetadata().getName()).get() == null) {
                // HyperShift on a new HostedCluster: etcd starts on an empty volume and restores from the URL
                fetch((String) list.get(0));
                GenericKubernetesResource hcp = hcps.resource(new GenericKubernetesResourceBuilder()
                                .withApiVersion("hypershift.openshift.io/v1beta1")
                                .withKind("HostedControlPlane")
                                .withNewMetadata()
                                .withName(hc.getMetadata().getName())
                                .withNamespace(cpNamespace)
                                .endMetadata()
                                .build())
                        .create();
                hcp.getAdditionalProperties()
                        .put(
                                "status",
                                Map.of(
                                        "conditions",
                                        List.of(Map.of(
                                                "type",
                                                "EtcdSnapshotRestored",
                                                "status",
                                                "True",
                                                "reason",
                                                "AsExpected"))));
                hcps.resource(hcp).updateStatus();
            }
        }
        if (openShiftPlayed.get()) {
            playKubelets();
            playOperators();
        }
    }

    /** A kubelet after cluster-restore.sh: a client CSR, once approved a serving CSR, once approved Ready. */
    private void playKubelets() {
        var csrs = controllers.certificates().v1().certificateSigningRequests();
        for (var sent = approvals.poll(); sent != null; sent = approvals.poll()) {
            var stored = csrs.withName(sent.getMetadata().getName()).get();
            stored.setStatus(sent.getStatus());
            csrs.resource(stored).updateStatus();
        }
        for (var node : controllers.nodes().list().getItems()) {
            String name = node.getMetadata().getName();
            if (approved(csrs.withName("csr-boot-" + name).get())
                    && csrs.withName("csr-serving-" + name).get() == null) {
                csr(controllers, "csr-serving-" + name, "kubernetes.io/kubelet-serving", "system:node:" + name);
            }
            if (approved(csrs.withName("csr-serving-" + name).get())
                    && "False".equals(node.getStatus().getConditions().get(0).getStatus())) {
                node.getStatus().getConditions().get(0).setStatus("True");
                controllers.nodes().resource(node).updateStatus();
            }
        }
        List<String> ready = controllers.nodes().list().getItems().stream()
                .filter(n -> "True".equals(n.getStatus().getConditions().get(0).getStatus()))
                .map(n -> n.getMetadata().getName())
                .toList();
        if (ready.size() == 3 && !rollouts.contains("nodes Ready")) {
            rollouts.add("nodes Ready");
        }
    }

    /**
     * The static-pod operators: a new forceRedeploymentReason makes a new latestAvailableRevision,
     * rolled out one node per round; the NodeInstallerProgressing condition is never touched (stale).
     * The etcd operator's new revision brings the other members' pods up.
     */
    private void playOperators() {
        for (var operator : OPENSHIFT_OPERATORS) {
            GenericKubernetesResource r = controllers
                    .genericKubernetesResources(operator)
                    .withName("cluster")
                    .get();
            String reason = ControlPlane.text(r.getAdditionalProperties(), "spec", "forceRedeploymentReason");
            Map<String, Object> status =
                    new java.util.HashMap<>(map(r.getAdditionalProperties().get("status")));
            long latest = ((Number) status.get("latestAvailableRevision")).longValue();
            String plural = operator.getPlural();
            if (reason != null && !rollouts.contains(plural + " asked")) {
                rollouts.add(plural + " asked");
                status.put("latestAvailableRevision", latest + 1);
            } else if (reason != null) {
                List<Map<String, Object>> nodes = ControlPlane.list(status, "nodeStatuses").stream()
                        .map(n -> (Map<String, Object>) new java.util.HashMap<>(n))
                        .toList();
                var behind = nodes.stream()
                        .filter(n -> ((Number) n.get("currentRevision")).longValue() < latest)
                        .findFirst();
                if (behind.isEmpty()) {
                    if (!rollouts.contains(plural + " at " + latest + " on every node")) {
                        rollouts.add(plural + " at " + latest + " on every node");
                    }
                    if (operator == ControlPlane.ETCD_OPERATOR) {
                        nodes.forEach(n -> etcdPod((String) n.get("nodeName")));
                    }
                    continue;
                }
                behind.get().put("currentRevision", latest);
                status.put("nodeStatuses", nodes);
            } else {
                continue;
            }
            r.getAdditionalProperties().put("status", status);
            controllers.genericKubernetesResources(operator).resource(r).updateStatus();
        }
    }

    private static Map<String, Object> operandStatus(long latest, Map<String, Long> nodes) {
        return Map.of(
                "latestAvailableRevision",
                latest,
                "nodeStatuses",
                nodes.entrySet().stream()
                        .sorted(Map.Entry.comparingByKey())
                        .map(e -> Map.of("nodeName", e.getKey(), "currentRevision", e.getValue()))
                        .toList(),
                "conditions",
                List.of(Map.of(
                        "type",
                        "NodeInstallerProgressing",
                        "status",
                        "False",
                        "reason",
                        "AllNodesAtLatestRevision",
                        "message",
                        "3 nodes are at revision " + latest)));
    }

    private static void csr(String name, String signer, String user) {
        csr(client, name, signer, user);
    }

    private static void csr(KubernetesClient as, String name, String signer, String user) {
        as.certificates()
                .v1()
                .certificateSigningRequests()
                .resource(new CertificateSigningRequestBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .withRequest("cmVxdWVzdA==")
                        .withSignerName(signer)
                        .withUsername(user)
                        .withUsages("client auth")
                        .endSpec()
                        .build())
                .create();
    }

    /**
     * The API server's approval subresource, which the CRUD mock lacks, for these CSRs only: a request
     * to approve any other one gets no answer, and the restore fails.
     */
    private void serveApprovals(String... names) {
        for (String name : names) {
            server.expect()
                    .put()
                    .withPath("/apis/certificates.k8s.io/v1/certificatesigningrequests/" + name + "/approval")
                    .andReply(200, request -> {
                        // stored by the controllers' loop: the mock answers one request at a time
                        var sent = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                                request.getUtf8Body(),
                                io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest.class);
                        approvals.add(sent);
                        return sent;
                    })
                    .always();
        }
    }

    private static boolean approved(io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest csr) {
        return csr != null
                && csr.getStatus() != null
                && csr.getStatus().getConditions() != null
                && csr.getStatus().getConditions().stream().anyMatch(c -> "Approved".equals(c.getType()));
    }

    /** An etcd static pod, Running and Ready, on {@code node} (idempotent). */
    private static void etcdPod(String node) {
        if (client.pods().inNamespace("openshift-etcd").withName("etcd-" + node).get() == null) {
            client.pods()
                    .inNamespace("openshift-etcd")
                    .resource(new PodBuilder()
                            .withNewMetadata()
                            .withName("etcd-" + node)
                            .withNamespace("openshift-etcd")
                            .addToLabels("app", "etcd")
                            .endMetadata()
                            .withNewSpec()
                            .withNodeName(node)
                            .endSpec()
                            .withNewStatus()
                            .withPhase("Running")
                            .addNewCondition()
                            .withType("Ready")
                            .withStatus("True")
                            .endCondition()
                            .endStatus()
                            .build())
                    .create();
        }
    }

    /** What a Job's curl or HyperShift does with the URL: GET it, no credentials. */
    private void fetch(String url) {
        try {
            byte[] body = HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray())
                    .body();
            fetchedSha256.add(HexFormat.of().formatHex(body, body.length - 32, body.length));
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(body, body.length - 32));
            assertThat(HexFormat.of().formatHex(digest)).isEqualTo(fetchedSha256.get(fetchedSha256.size() - 1));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // --- helpers ---

    /** A hosted control plane as HyperShift lays it out: the API servers, a 3-member etcd and its volumes. */
    private void controlPlane(String ns, Map<String, Integer> apiServers) {
        apiServers.forEach((d, replicas) -> client.apps()
                .deployments()
                .inNamespace(ns)
                .resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName(d)
                        .withNamespace(ns)
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(replicas)
                        .endSpec()
                        .build())
                .create());
        client.apps()
                .statefulSets()
                .inNamespace(ns)
                .resource(new StatefulSetBuilder()
                        .withNewMetadata()
                        .withName("etcd")
                        .withNamespace(ns)
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(3)
                        .withNewTemplate()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("etcd")
                        .withImage("quay.io/openshift/etcd@sha256:0123")
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        for (int i = 0; i < 3; i++) {
            client.persistentVolumeClaims()
                    .inNamespace(ns)
                    .resource(new PersistentVolumeClaimBuilder()
                            .withNewMetadata()
                            .withName("data-etcd-" + i)
                            .withNamespace(ns)
                            .endMetadata()
                            .build())
                    .create();
        }
    }

    /** Forgets what was recorded so far (the controllers keep calling: take exactly what is queued now). */
    private void drainRecorded() throws InterruptedException {
        int queued = server.getRequestCount() - taken;
        for (int i = 0; i < queued && server.takeRequest(1, TimeUnit.SECONDS) != null; i++) {
            taken++;
        }
    }

    /** The mutating calls restore-service made, in order ("METHOD /path", query dropped); stops the controllers. */
    private List<String> serviceCalls() throws InterruptedException {
        running.set(false);
        loop.join(5000);
        List<String> calls = new ArrayList<>();
        int queued = server.getRequestCount() - taken;
        for (int i = 0; i < queued; i++) {
            RecordedRequest r = server.takeRequest(1, TimeUnit.SECONDS);
            if (r == null) {
                break;
            }
            taken++;
            if (!"controller".equals(r.getHeader("X-Test")) && !r.getMethod().equals("GET")) {
                calls.add(r.getMethod() + " " + r.getPath().replaceAll("\\?.*", ""));
            }
        }
        return calls.stream()
                .map(c -> c.replaceAll("guardian-restore-[0-9a-f]+", "guardian-restore-"))
                .toList();
    }

    private static void hostedCluster(String name, String version, boolean encrypted) {
        Map<String, Object> spec = encrypted
                ? Map.of(
                        "secretEncryption",
                        Map.of("type", "aescbc", "aescbc", Map.of("activeKey", Map.of("name", name + "-key"))),
                        "release",
                        Map.of("image", "quay.io/openshift-release-dev/ocp-release:" + version + "-x86_64"))
                : Map.of("pausedUntil", "");
        GenericKubernetesResource hc = new GenericKubernetesResourceBuilder()
                .withApiVersion("hypershift.openshift.io/v1beta1")
                .withKind("HostedCluster")
                .withNewMetadata()
                .withName(name)
                .withNamespace("clusters")
                .endMetadata()
                .addToAdditionalProperties("spec", new java.util.HashMap<>(spec))
                .build();
        hc.getAdditionalProperties().remove("status");
        client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace("clusters")
                .resource(hc)
                .create();
        if (!encrypted) {
            client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                    .inNamespace("clusters")
                    .withName(name)
                    .edit(r -> {
                        ((Map<?, ?>) r.getAdditionalProperties().get("spec")).remove("pausedUntil");
                        return r;
                    });
        }
        setVersion(name, version);
    }

    private static void setVersion(String name, String version) {
        GenericKubernetesResource hc = hosted(name);
        hc.getAdditionalProperties()
                .put(
                        "status",
                        Map.of(
                                "version",
                                Map.of("history", List.of(Map.of("state", "Completed", "version", version)))));
        client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace("clusters")
                .resource(hc)
                .updateStatus();
    }

    private static GenericKubernetesResource hosted(String name) {
        return client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace("clusters")
                .withName(name)
                .get();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : Map.of();
    }

    private static SnapshotManifest withBundle(
            Backplane backplane, String cluster, SnapshotManifest m, String bundleKey) throws Exception {
        SnapshotManifest with = new SnapshotManifest(
                m.formatVersion(),
                m.clusterId(),
                m.snapshotId(),
                m.requestId(),
                m.trigger(),
                m.takenAt(),
                m.completedAt(),
                m.sourceMember(),
                m.etcdVersion(),
                m.clusterVersion(),
                m.revision(),
                m.totalKeys(),
                m.liveKeys(),
                m.boltHash(),
                m.sizeRaw(),
                m.sizeStored(),
                m.sha256(),
                m.compression(),
                m.encryption(),
                m.objectKey(),
                bundleKey,
                m.drill(),
                m.captureMs(),
                null,
                null);
        backplane
                .s3()
                .client()
                .putObject(
                        b -> b.bucket(backplane.bucket()).key(cluster + "/manifests/" + m.snapshotId() + ".json"),
                        software.amazon.awssdk.core.sync.RequestBody.fromBytes(
                                io.etcdguardian.common.event.EventJson.MAPPER.writeValueAsBytes(with)));
        return with;
    }

    private static List<RestoreProgress> until(EventStream.Follower events, String restoreId, ProgressStatus status) {
        List<RestoreProgress> steps = new ArrayList<>();
        while (true) {
            GuardianEvent event = events.await(
                            e -> e instanceof RestoreProgress p && p.restoreId().equals(restoreId),
                            Duration.ofSeconds(90))
                    .orElseThrow(() -> new AssertionError("stalled after " + steps));
            RestoreProgress p = (RestoreProgress) event;
            steps.add(p);
            if (p.step().equals("restore")) {
                assertThat(p.status()).as(p.detail()).isEqualTo(status);
                return steps;
            }
        }
    }

    private Path fleet(Backplane backplane, String cluster, String kind) throws Exception {
        return fleet(backplane, cluster, kind, kind.equals("hosted-onprem") ? "hc1" : "hc2");
    }

    /** The key bundles' own key (not the snapshots'), as the fleet names it. */
    private Keyring bundleKeys() throws java.io.IOException {
        Path file = dir.resolve("bundles.key");
        if (!Files.exists(file)) {
            byte[] bytes = new byte[32];
            new java.security.SecureRandom().nextBytes(bytes);
            Files.writeString(file, Base64.getEncoder().encodeToString(bytes));
        }
        return new Keyring(SnapshotEncryption.fromBase64(Files.readString(file), "bundles-1", "test key"), List.of());
    }

    private Path fleet(Backplane backplane, String cluster, String kind, String name) throws Exception {
        bundleKeys();
        Path kubeconfig = MockKubeconfig.write(
                dir.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), null);
        Path credentials = RestoreServiceUnderTest.credentials(backplane, dir);
        return Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s,
                             keyStore: { bucket: etcd-keys, prefix: keys/, credentialsFile: %s,
                                         encryption: { keyFile: %s, keyId: bundles-1 } } }
                    kubernetes: { kind: %s, namespace: clusters, name: %s, kubeconfig: %s }
                """.formatted(
                        cluster,
                        backplane.etcd().endpoints().get(0),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials,
                        credentials,
                        dir.resolve("bundles.key"),
                        kind,
                        name,
                        kubeconfig));
    }
}
