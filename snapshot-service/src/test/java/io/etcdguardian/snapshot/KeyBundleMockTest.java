package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.kafka.EventStream;
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
class KeyBundleMockTest {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String HOSTED = "hc-" + RUN;
    private static final String NO_KEY_STORE = "hcnokeys-" + RUN;
    private static final String SECRET_KEY = "secretkey-" + RUN;
    private static final String AES_KEY = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    private static final ResourceDefinitionContext HOSTED_CLUSTERS = new ResourceDefinitionContext.Builder()
            .withGroup("hypershift.openshift.io").withVersion("v1beta1").withKind("HostedCluster")
            .withPlural("hostedclusters").withNamespaced(true).build();

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
            client.genericKubernetesResources(HOSTED_CLUSTERS).inNamespace("clusters").resource(hostedCluster(name)).create();
            client.secrets().inNamespace("clusters").resource(new SecretBuilder().withNewMetadata()
                    .withName(name + "-etcd-encryption-key").endMetadata()
                    .addToData("key", AES_KEY).build()).create();
            client.secrets().inNamespace("clusters").resource(new SecretBuilder().withNewMetadata()
                    .withName(name + "-etcd-encryption-key-old").endMetadata()
                    .addToData("key", Base64.getEncoder().encodeToString("old-key-old-key-old-key-old-key!".getBytes()))
                    .build()).create();
        }
        // the snapshot encryption key of the service itself, in its own namespace
        client.secrets().inNamespace("guardian").resource(new SecretBuilder().withNewMetadata()
                .withName("snapshot-key").endMetadata().addToData("key", Base64.getEncoder().encodeToString(
                        "Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMtYWVzLWtleSE=".getBytes())).build()).create();
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: mgmt, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
                users: [{name: guardian, user: {token: not-a-secret}}]
                contexts: [{name: mgmt, context: {cluster: mgmt, user: guardian, namespace: clusters}}]
                current-context: mgmt
                """.formatted(client.getConfiguration().getMasterUrl()));
        Path credentials = SnapshotRequests.credentials(shared, dir);
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  etcd: { endpoints: [%s] }
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                clusters:
                  - id: %s
                    store: { keyStore: { bucket: etcd-keys, prefix: keys/, credentialsFile: %s } }
                    kubernetes: { kind: hosted-onprem, namespace: clusters, name: %s, kubeconfig: %s }
                  - id: %s
                    kubernetes: { kind: hosted-onprem, namespace: clusters, name: %s, kubeconfig: %s }
                  - id: %s
                    store: { encryption: { secret: "guardian/snapshot-key" } }
                """.formatted(String.join(", ", shared.etcd().endpoints()), shared.bucket(), shared.s3().endpoint(),
                credentials, HOSTED, credentials, HOSTED, kubeconfig, NO_KEY_STORE, NO_KEY_STORE, kubeconfig, SECRET_KEY));
        context = ApplicationContext.run(Map.of(
                "kafka.bootstrap.servers", shared.kafka().bootstrapServers(),
                "guardian.fleet.file", fleet.toString(),
                "guardian.kubernetes.kubeconfig", kubeconfig.toString(),
                "guardian.snapshot.group", "keys-" + RUN,
                "guardian.snapshot.spool-dir", dir.resolve("spool").toString(),
                "guardian.snapshot.attempts", 1,
                "guardian.snapshot.drill.enabled", "false"));
        stream = new EventStream(shared.kafka().bootstrapServers());
    }

    @AfterAll
    static void stop() {
        stream.close();
        context.close();
    }

    private static GenericKubernetesResource hostedCluster(String name) {
        return new GenericKubernetesResourceBuilder().withApiVersion("hypershift.openshift.io/v1beta1")
                .withKind("HostedCluster").withNewMetadata().withName(name).withNamespace("clusters").endMetadata()
                .addToAdditionalProperties("spec", Map.of("secretEncryption", Map.of("type", "aescbc",
                        "aescbc", Map.of("activeKey", Map.of("name", name + "-etcd-encryption-key"),
                                "backupKey", Map.of("name", name + "-etcd-encryption-key-old")))))
                .build();
    }

    @Test
    void savesTheActiveKeysToTheKeyStoreAndOnlyAReferenceInTheManifest() {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, HOSTED);
        assertThat(outcome).isInstanceOf(SnapshotCompleted.class);
        SnapshotCompleted done = (SnapshotCompleted) outcome;
        try (S3Client s3 = backplane.s3().client()) {
            String manifest = s3.getObjectAsBytes(b -> b.bucket(done.bucket()).key(done.manifestKey())).asUtf8String();
            String bundleKey = "keys/" + HOSTED + "/" + done.snapshotId() + ".keys.json";
            assertThat(manifest).contains("\"keyBundleKey\" : \"" + bundleKey + "\"").doesNotContain(AES_KEY);
            String bundle = s3.getObjectAsBytes(b -> b.bucket("etcd-keys").key(bundleKey)).asUtf8String();
            assertThat(bundle).contains(AES_KEY, HOSTED + "-etcd-encryption-key-old", "\"snapshotId\":\"" + done.snapshotId());
            // nothing of the key beside the snapshot
            s3.listObjectsV2(b -> b.bucket(done.bucket()).prefix(HOSTED + "/")).contents().forEach(o -> assertThat(
                    s3.getObjectAsBytes(b -> b.bucket(done.bucket()).key(o.key())).asString(StandardCharsets.ISO_8859_1))
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
        var cluster = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class).require(SECRET_KEY);
        var manifest = context.getBean(io.etcdguardian.common.snapshot.SnapshotCatalog.class)
                .find(cluster, done.snapshotId()).orElseThrow();
        Path db = context.getBean(io.etcdguardian.common.snapshot.SnapshotFetcher.class)
                .fetch(cluster, manifest, dir.resolve("fetched.db"));
        assertThat(Files.size(db)).isEqualTo(done.sizeRaw());
    }

    @Test
    void refusesToBackUpAnEncryptedClusterWithoutAKeyStore() {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, NO_KEY_STORE);
        assertThat(outcome).isInstanceOf(SnapshotFailed.class);
        assertThat(((SnapshotFailed) outcome).reason()).isEqualTo("INVALID_CONFIG");
        assertThat(((SnapshotFailed) outcome).detail()).contains("store.keyStore is not configured");
    }

}
