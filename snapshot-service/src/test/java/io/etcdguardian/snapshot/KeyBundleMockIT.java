package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.MockKubeconfig;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micronaut.context.ApplicationContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Encryption keys travel separately: a hosted cluster with aescbc on gets its active and backup key
 * secrets saved to the key store, linked from the manifest, never beside the snapshot. The
 * management cluster is the fabric8 mock server (CRUD); etcd, Kafka and S3 are real.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BackplaneExtension.class)
class KeyBundleMockIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String HOSTED = "hc-" + RUN;
    private static final String NO_KEY_STORE = "hcnokeys-" + RUN;
    private static final String SECRET_KEY = "secretkey-" + RUN;
    private static final String ROTATED = "rotated-" + RUN;
    private static final String OPENSHIFT = "ocp-" + RUN;
    private static final String AES_KEY =
            Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    private static final ResourceDefinitionContext HOSTED_CLUSTERS = new ResourceDefinitionContext.Builder()
            .withGroup("hypershift.openshift.io")
            .withVersion("v1beta1")
            .withKind("HostedCluster")
            .withPlural("hostedclusters")
            .withNamespaced(true)
            .build();

    static KubernetesMockServer server;
    static KubernetesClient client;

    @TempDir
    static Path dir;

    static Backplane backplane;
    static ApplicationContext context;
    static EventStream stream;

    @BeforeAll
    static void start(Backplane shared) throws IOException {
        backplane = shared;
        shared.s3().createBucket("etcd-keys");
        for (String name : new String[] {HOSTED, NO_KEY_STORE}) {
            client.genericKubernetesResources(HOSTED_CLUSTERS)
                    .inNamespace("clusters")
                    .resource(hostedCluster(name))
                    .create();
            client.secrets()
                    .inNamespace("clusters")
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(name + "-etcd-encryption-key")
                            .endMetadata()
                            .addToData("key", AES_KEY)
                            .build())
                    .create();
            client.secrets()
                    .inNamespace("clusters")
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(name + "-etcd-encryption-key-old")
                            .endMetadata()
                            .addToData(
                                    "key",
                                    Base64.getEncoder().encodeToString("old-key-old-key-old-key-old-key!".getBytes()))
                            .build())
                    .create();
        }
        // OpenShift keeps its etcd encryption keys in openshift-config-managed, beside other platform secrets
        client.genericKubernetesResources(io.etcdguardian.common.kubernetes.ControlPlane.API_SERVER)
                .resource(new GenericKubernetesResourceBuilder()
                        .withApiVersion("config.openshift.io/v1")
                        .withKind("APIServer")
                        .withNewMetadata()
                        .withName("cluster")
                        .endMetadata()
                        .addToAdditionalProperties("spec", Map.of("encryption", Map.of("type", "aescbc")))
                        .build())
                .create();
        for (String name : new String[] {
            "encryption-key-openshift-apiserver-1", "encryption-key-openshift-kube-apiserver-3", "router-certs"
        }) {
            client.secrets()
                    .inNamespace("openshift-config-managed")
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .endMetadata()
                            .addToData(
                                    "key",
                                    Base64.getEncoder()
                                            .encodeToString((name + "-0123456789abcdef0123456789abcdef")
                                                    .substring(0, 32)
                                                    .getBytes()))
                            .build())
                    .create();
        }
        // the snapshot encryption key of the service itself, in its own namespace
        client.secrets()
                .inNamespace("guardian")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("snapshot-key")
                        .endMetadata()
                        .addToData(
                                "key",
                                Base64.getEncoder()
                                        .encodeToString("Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMtYWVzLWtleSE=".getBytes()))
                        .build())
                .create();
        Path kubeconfig = MockKubeconfig.write(
                dir.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), "clusters");
        credentials = SnapshotRequests.credentials(shared, dir);
        kubeconfigFile = kubeconfig;
        for (String name : new String[] {"bundle-1", "bundle-2", "snap-1", "snap-2"}) {
            byte[] bytes = new byte[32];
            new java.security.SecureRandom().nextBytes(bytes);
            Files.writeString(dir.resolve(name + ".key"), Base64.getEncoder().encodeToString(bytes));
        }
        writeFleet(
                "{ keyFile: %s, keyId: bundle-1 }".formatted(dir.resolve("bundle-1.key")),
                "{ keyFile: %s, keyId: snap-1 }".formatted(dir.resolve("snap-1.key")));
        context = ApplicationContext.run(Map.of(
                "kafka.bootstrap.servers",
                shared.kafka().bootstrapServers(),
                "guardian.fleet.file",
                dir.resolve("fleet.yaml").toString(),
                "guardian.fleet.reload-interval",
                "200ms",
                "guardian.kubernetes.kubeconfig",
                kubeconfig.toString(),
                "guardian.snapshot.group",
                "keys-" + RUN,
                "guardian.snapshot.spool-dir",
                dir.resolve("spool").toString(),
                "guardian.snapshot.attempts",
                1,
                "guardian.snapshot.drill.enabled",
                "false",
                // the keys are this test's subject; OpenShift's static-pod resources are OpenShiftBackupSetSystemIT's
                "guardian.snapshot.openshift-backup-set.enabled",
                "false"));
        stream = new EventStream(shared.kafka().bootstrapServers());
    }

    static Path credentials;
    static Path kubeconfigFile;

    /** The fleet, with the key bundles' keyring and the ROTATED cluster's snapshot keyring as given. */
    static void writeFleet(String bundleKeys, String rotatedKeys) throws IOException {
        Path next = dir.resolve("fleet.yaml.next");
        Files.writeString(next, """
                defaults:
                  etcd: { endpoints: [%s] }
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                clusters:
                  - id: %s
                    store: { keyStore: { bucket: etcd-keys, prefix: keys/, credentialsFile: %s, encryption: %s } }
                    kubernetes: { kind: hosted-onprem, namespace: clusters, name: %s, kubeconfig: %s }
                  - id: %s
                    kubernetes: { kind: hosted-onprem, namespace: clusters, name: %s, kubeconfig: %s }
                  - id: %s
                    store: { encryption: { secret: "guardian/snapshot-key" } }
                  - id: %s
                    store: { encryption: %s }
                  - id: %s
                    store: { keyStore: { bucket: etcd-keys, prefix: keys/, credentialsFile: %s, encryption: %s } }
                    kubernetes: { kind: openshift, kubeconfig: %s }
                """.formatted(
                        String.join(", ", backplane.etcd().endpoints()),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials,
                        HOSTED,
                        credentials,
                        bundleKeys,
                        HOSTED,
                        kubeconfigFile,
                        NO_KEY_STORE,
                        NO_KEY_STORE,
                        kubeconfigFile,
                        SECRET_KEY,
                        ROTATED,
                        rotatedKeys,
                        OPENSHIFT,
                        credentials,
                        bundleKeys,
                        kubeconfigFile));
        Files.move(
                next,
                dir.resolve("fleet.yaml"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @AfterAll
    static void stop() {
        stream.close();
        context.close();
    }

    private static GenericKubernetesResource hostedCluster(String name) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("hypershift.openshift.io/v1beta1")
                .withKind("HostedCluster")
                .withNewMetadata()
                .withName(name)
                .withNamespace("clusters")
                .endMetadata()
                .addToAdditionalProperties(
                        "spec",
                        Map.of(
                                "secretEncryption",
                                Map.of(
                                        "type",
                                        "aescbc",
                                        "aescbc",
                                        Map.of(
                                                "activeKey",
                                                Map.of("name", name + "-etcd-encryption-key"),
                                                "backupKey",
                                                Map.of("name", name + "-etcd-encryption-key-old")))))
                .build();
    }

    @Test
    void savesTheActiveKeysToTheKeyStoreAndOnlyAReferenceInTheManifest() {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, HOSTED);
        assertThat(outcome).isInstanceOf(SnapshotCompleted.class);
        SnapshotCompleted done = (SnapshotCompleted) outcome;
        try (S3Client s3 = backplane.s3().client()) {
            String manifest = s3.getObjectAsBytes(b -> b.bucket(done.bucket()).key(done.manifestKey()))
                    .asUtf8String();
            String bundleKey = "keys/" + HOSTED + "/" + done.snapshotId() + ".keys.json.enc";
            assertThat(manifest)
                    .contains("\"keyBundleKey\" : \"" + bundleKey + "\"")
                    .doesNotContain(AES_KEY);
            byte[] stored = s3.getObjectAsBytes(b -> b.bucket("etcd-keys").key(bundleKey))
                    .asByteArray();
            // what the key store holds is ciphertext: no key, no secret name, not JSON
            assertThat(new String(stored, StandardCharsets.ISO_8859_1))
                    .startsWith("etcd-guardian-key-bundle/1 AES256_GCM_HKDF_1MB bundle-")
                    .doesNotContain(AES_KEY)
                    .doesNotContain(Base64.getEncoder().encodeToString("old-key-old-key-old-key-old-key!".getBytes()))
                    .doesNotContain(HOSTED + "-etcd-encryption-key");
            String bundle = new String(
                    KeyBundles.open(keys(HOSTED), HOSTED, done.snapshotId(), stored, bundleKey),
                    StandardCharsets.UTF_8);
            assertThat(bundle)
                    .contains(AES_KEY, HOSTED + "-etcd-encryption-key-old", "\"snapshotId\":\"" + done.snapshotId())
                    .as("each key with the slot it filled")
                    .contains("\"name\":\"" + HOSTED + "-etcd-encryption-key\",\"slot\":\"activeKey\"")
                    .contains("\"name\":\"" + HOSTED + "-etcd-encryption-key-old\",\"slot\":\"backupKey\"");
            assertThatThrownBy(
                            () -> KeyBundles.open(keys(HOSTED), HOSTED, "20000101T000000Z-00000000", stored, bundleKey))
                    .as("a bundle moved to another snapshot's name does not open")
                    .hasMessageContaining("does not open");
            // nothing of the key beside the snapshot
            s3.listObjectsV2(b -> b.bucket(done.bucket()).prefix(HOSTED + "/"))
                    .contents()
                    .forEach(o -> assertThat(s3.getObjectAsBytes(
                                            b -> b.bucket(done.bucket()).key(o.key()))
                                    .asString(StandardCharsets.ISO_8859_1))
                            .doesNotContain(AES_KEY));
        }
    }

    @Test
    void encryptsWithAKeyFromAKubernetesSecretAndReadsItBack() throws IOException {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, SECRET_KEY);
        assertThat(outcome).isInstanceOf(SnapshotCompleted.class);
        SnapshotCompleted done = (SnapshotCompleted) outcome;
        assertThat(done.objectKey()).endsWith(".db.zst.enc");
        assertThat(done.encryptionKeyId()).startsWith("sha256:");
        var cluster = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class)
                .require(SECRET_KEY);
        var manifest = context.getBean(io.etcdguardian.common.snapshot.SnapshotCatalog.class)
                .find(cluster, done.snapshotId())
                .orElseThrow();
        Path db = context.getBean(io.etcdguardian.common.snapshot.SnapshotFetcher.class)
                .fetch(cluster, manifest, dir.resolve("fetched.db"));
        assertThat(Files.size(db)).isEqualTo(done.sizeRaw());
    }

    /** OpenShift's keys: every encryption-key-* of openshift-config-managed, and no other secret of it. */
    @Test
    void savesOpenShiftsEncryptionKeysAndNothingElseOfTheirNamespace() {
        SnapshotCompleted done = (SnapshotCompleted) SnapshotRequests.outcome(stream, OPENSHIFT);
        String key = "keys/" + OPENSHIFT + "/" + done.snapshotId() + ".keys.json.enc";
        try (S3Client s3 = backplane.s3().client()) {
            byte[] stored =
                    s3.getObjectAsBytes(b -> b.bucket("etcd-keys").key(key)).asByteArray();
            String bundle = new String(
                    KeyBundles.open(keys(OPENSHIFT), OPENSHIFT, done.snapshotId(), stored, key),
                    StandardCharsets.UTF_8);
            assertThat(bundle)
                    .contains(
                            "\"kind\":\"openshift\"",
                            "encryption-key-openshift-apiserver-1",
                            "encryption-key-openshift-kube-apiserver-3")
                    .doesNotContain("router-certs")
                    .as("OpenShift's keys rotate by name: no slots")
                    .doesNotContain("\"slot\"");
        }
    }

    /**
     * Keys are rotated by adding the new one and keeping the old under previous: snapshots and key bundles
     * written before stay readable, new ones use the new key; drop an old key and what needed it is
     * refused, naming the key.
     */
    @Test
    void aRotationKeepsOlderSnapshotsAndBundlesReadable() throws Exception {
        SnapshotCompleted before = (SnapshotCompleted) SnapshotRequests.outcome(stream, ROTATED);
        assertThat(before.encryptionKeyId()).isEqualTo("snap-1");
        SnapshotCompleted bundledBefore = (SnapshotCompleted) SnapshotRequests.outcome(stream, HOSTED);

        writeFleet(
                "{ keyFile: %s, keyId: bundle-2, previous: [{ keyFile: %s, keyId: bundle-1 }] }"
                        .formatted(dir.resolve("bundle-2.key"), dir.resolve("bundle-1.key")),
                "{ keyFile: %s, keyId: snap-2, previous: [{ keyFile: %s, keyId: snap-1 }] }"
                        .formatted(dir.resolve("snap-2.key"), dir.resolve("snap-1.key")));
        var registry = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class);
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(20))
                .until(() -> "snap-2"
                        .equals(registry.require(ROTATED).store().encryption().keyId()));
        SnapshotCompleted after = (SnapshotCompleted) SnapshotRequests.outcome(stream, ROTATED);
        assertThat(after.encryptionKeyId()).isEqualTo("snap-2");
        assertThat(fetch(ROTATED, before.snapshotId()))
                .as("the old snapshot, by its old key")
                .isEqualTo(before.sizeRaw());
        assertThat(fetch(ROTATED, after.snapshotId())).isEqualTo(after.sizeRaw());
        assertThat(openBundle(bundledBefore))
                .as("the old bundle, by the bundles' old key")
                .contains(AES_KEY);
        SnapshotCompleted bundledAfter = (SnapshotCompleted) SnapshotRequests.outcome(stream, HOSTED);
        try (S3Client s3 = backplane.s3().client()) {
            assertThat(s3.getObjectAsBytes(b -> b.bucket("etcd-keys")
                                    .key("keys/" + HOSTED + "/" + bundledAfter.snapshotId() + ".keys.json.enc"))
                            .asString(StandardCharsets.ISO_8859_1))
                    .startsWith("etcd-guardian-key-bundle/1 AES256_GCM_HKDF_1MB bundle-2\n");
        }

        // the old key dropped: refused, naming what is missing
        writeFleet(
                "{ keyFile: %s, keyId: bundle-2 }".formatted(dir.resolve("bundle-2.key")),
                "{ keyFile: %s, keyId: snap-2 }".formatted(dir.resolve("snap-2.key")));
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(20))
                .until(() -> registry.require(ROTATED)
                        .store()
                        .encryption()
                        .previous()
                        .isEmpty());
        assertThatThrownBy(() -> fetch(ROTATED, before.snapshotId()))
                .hasMessageContaining("encrypted with key snap-1")
                .hasMessageContaining("not in the keyring [snap-2]");
        assertThatThrownBy(() -> openBundle(bundledBefore)).hasMessageContaining("encrypted with key bundle-1");
    }

    /** The keys go with the snapshot that needed them: retention deletes the bundle too, and nothing else's. */
    @Test
    void retentionDeletesABundleWithItsSnapshot() {
        SnapshotCompleted older = (SnapshotCompleted) SnapshotRequests.outcome(stream, HOSTED);
        SnapshotCompleted newer = (SnapshotCompleted) SnapshotRequests.outcome(stream, HOSTED);
        var registry = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class);
        var hosted = registry.require(HOSTED);
        // retention deletes nothing until something is proven restorable: drill the newer one
        context.getBean(io.etcdguardian.snapshot.drill.RestoreDrill.class)
                .drill(
                        hosted,
                        context.getBean(io.etcdguardian.common.snapshot.SnapshotCatalog.class)
                                .find(hosted, newer.snapshotId())
                                .orElseThrow());
        var keepOne = new io.etcdguardian.common.fleet.ClusterSpec(
                hosted.id(),
                hosted.etcd(),
                hosted.store(),
                hosted.schedule(),
                new io.etcdguardian.common.fleet.RetentionSpec(1, 0, 0, 0, 0),
                hosted.kubernetes(),
                hosted.restore(),
                hosted.paused(),
                hosted.slo(),
                hosted.storageDomain());
        assertThat(context.getBean(io.etcdguardian.snapshot.retention.RetentionRunner.class)
                        .apply(keepOne))
                .contains(older.snapshotId())
                .doesNotContain(newer.snapshotId());
        try (S3Client s3 = backplane.s3().client()) {
            List<String> bundles =
                    s3.listObjectsV2(b -> b.bucket("etcd-keys").prefix("keys/" + HOSTED + "/")).contents().stream()
                            .map(o -> o.key())
                            .toList();
            assertThat(bundles).containsExactly("keys/" + HOSTED + "/" + newer.snapshotId() + ".keys.json.enc");
        }
    }

    private static io.etcdguardian.common.snapshot.Keyring keys(String cluster) {
        var registry = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class);
        return context.getBean(io.etcdguardian.common.snapshot.EncryptionKeys.class)
                .bundleKeys(registry.require(cluster));
    }

    private static long fetch(String cluster, String snapshotId) throws IOException {
        var spec = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class)
                .require(cluster);
        var manifest = context.getBean(io.etcdguardian.common.snapshot.SnapshotCatalog.class)
                .find(spec, snapshotId)
                .orElseThrow();
        Path target = dir.resolve("fetched-" + snapshotId + ".db");
        return Files.size(context.getBean(io.etcdguardian.common.snapshot.SnapshotFetcher.class)
                .fetch(spec, manifest, target));
    }

    private static String openBundle(SnapshotCompleted done) {
        String key = "keys/" + HOSTED + "/" + done.snapshotId() + ".keys.json.enc";
        try (S3Client s3 = backplane.s3().client()) {
            byte[] stored =
                    s3.getObjectAsBytes(b -> b.bucket("etcd-keys").key(key)).asByteArray();
            return new String(
                    KeyBundles.open(keys(HOSTED), HOSTED, done.snapshotId(), stored, key), StandardCharsets.UTF_8);
        }
    }

    @Test
    void refusesToBackUpAnEncryptedClusterWithoutAKeyStore() {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, NO_KEY_STORE);
        assertThat(outcome).isInstanceOf(SnapshotFailed.class);
        assertThat(((SnapshotFailed) outcome).reason()).isEqualTo(Reason.INVALID_CONFIG);
        assertThat(((SnapshotFailed) outcome).detail()).contains("store.keyStore is not configured");
    }
}
