package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.luben.zstd.ZstdInputStream;
import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.EncryptionSpec;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotEncryption;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.Etcdctl;
import io.etcdguardian.localetcd.FreePorts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** snapshot-service end to end through Kafka, on the real 3-member etcd and S3Proxy. */
@ExtendWith(BackplaneExtension.class)
class SnapshotServiceIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String PLAIN = "plain-" + RUN;
    private static final String SECRET = "secret-" + RUN;
    private static final String CORRUPT = "corrupt-" + RUN;
    private static final String TRUNCATE = "truncate-" + RUN;
    private static final String DENIED = "denied-" + RUN;
    private static final String NO_BUCKET = "nobucket-" + RUN;
    private static final String NO_ETCD = "noetcd-" + RUN;
    private static final String RETAINED = "retained-" + RUN;

    @TempDir
    static Path dir;

    static Backplane backplane;
    static ApplicationContext context;
    static EventStream stream;
    static Path keyFile;
    static String token; // every role: the 401/403 matrix of every endpoint is WholeSystemIT's

    @BeforeAll
    static void start(Backplane shared) throws IOException {
        backplane = shared;
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        keyFile = Files.writeString(
                dir.resolve("snapshot.key"), Base64.getEncoder().encodeToString(key));
        Path credentials = SnapshotRequests.credentials(shared, dir);
        Path wrong =
                Files.writeString(dir.resolve("wrong.properties"), "accessKeyId=nobody\nsecretAccessKey=nothing\n");
        String etcd = String.join(", ", shared.etcd().endpoints());
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: test/ }
                  etcd: { endpoints: [%s] }
                clusters:
                  - id: %s
                  - id: %s
                    store: { encryption: { keyFile: %s, keyId: test-key-1 } }
                  - id: %s
                  - id: %s
                  - id: %s
                    store: { credentialsFile: %s }
                  - id: %s
                    store: { bucket: no-such-bucket }
                  - id: %s
                    etcd: { endpoints: [http://127.0.0.1:%d], dialTimeout: 1s, requestTimeout: 1s }
                  - id: %s
                    retention: { keepLast: 2 }
                """.formatted(
                        shared.bucket(),
                        shared.s3().endpoint(),
                        credentials,
                        etcd,
                        PLAIN,
                        SECRET,
                        keyFile,
                        CORRUPT,
                        TRUNCATE,
                        DENIED,
                        wrong,
                        NO_BUCKET,
                        NO_ETCD,
                        FreePorts.next(),
                        RETAINED));
        Map<String, Object> props = new HashMap<>();
        props.put("spec.name", "SnapshotServiceIT");
        props.put("micronaut.server.port", -1);
        props.put("kafka.bootstrap.servers", shared.kafka().bootstrapServers());
        props.put("guardian.fleet.file", fleet.toString());
        props.put("guardian.snapshot.group", "snapshot-" + RUN);
        props.put("guardian.snapshot.spool-dir", dir.resolve("spool").toString());
        props.put("guardian.snapshot.part-size-bytes", 5 * 1024 * 1024);
        props.put("guardian.snapshot.attempts", 2);
        props.put("guardian.snapshot.retry-backoff", "100ms");
        props.put("guardian.snapshot.part-retry-backoff", "50ms");
        props.put("guardian.intake.initial-backoff", "50ms");
        props.put("guardian.snapshot.drill.enabled", "false");
        Path tokens = dir.resolve("tokens");
        token = io.etcdguardian.common.security.CallerTokens.writeFile(
                        tokens, Map.of("test", io.etcdguardian.common.security.Roles.ALL))
                .get("test");
        props.put("guardian.security.tokens-file", tokens.toString());
        context = ApplicationContext.run(EmbeddedServer.class, props).getApplicationContext();
        stream = new EventStream(shared.kafka().bootstrapServers());
    }

    @AfterAll
    static void stop() {
        stream.close();
        context.close();
    }

    @Test
    void storesASnapshotThatEtcdctlReadsAndRestoresToExactlyItsKeys() throws Exception {
        String prefix = "/registry/plain-" + UUID.randomUUID();
        for (int i = 0; i < 300; i++) {
            backplane.etcd().etcdctl("put", prefix + "/key-" + i, "value-" + i);
        }
        backplane.etcd().etcdctl("del", prefix + "/key-0");

        SnapshotCompleted done = completed(PLAIN);
        // writes and deletes after the snapshot must not come back from it
        backplane.etcd().etcdctl("put", prefix + "/later", "x");
        backplane.etcd().etcdctl("del", prefix + "/key-1");

        assertThat(done.objectKey()).isEqualTo("test/" + PLAIN + "/snapshots/" + done.snapshotId() + ".db.zst");
        assertThat(done.manifestKey()).isEqualTo("test/" + PLAIN + "/manifests/" + done.snapshotId() + ".json");
        assertThat(done.sizeStored()).isLessThan(done.sizeRaw());
        Path db = download(done, Optional.empty());
        assertThat(Files.size(db)).isEqualTo(done.sizeRaw());
        String[] status = Etcdctl.run(List.of(
                        EtcdBinaries.snapshotTool().toString(), "snapshot", "status", db.toString(), "-w", "simple"))
                .strip()
                .split(",\\s*");
        assertThat(Long.parseLong(status[1])).isEqualTo(done.revision());
        // 3.6's etcdutl adds the storage version and counts live keys; 3.4/3.5 count every bbolt key
        long liveKeys = context.getBean(io.etcdguardian.snapshot.catalog.SnapshotController.class)
                .show(PLAIN, done.snapshotId())
                .liveKeys();
        assertThat(Long.parseLong(status[2])).isEqualTo(status.length > 4 ? liveKeys : done.totalKeys());

        List<String> restored = restoreAndList(db, prefix);
        assertThat(restored)
                .hasSize(299)
                .doesNotContain(prefix + "/key-0", prefix + "/later")
                .contains(prefix + "/key-1");

        // the catalogue lists it, from its manifest
        try (HttpClient http =
                HttpClient.create(context.getBean(EmbeddedServer.class).getURL())) {
            SnapshotManifest[] listed = http.toBlocking()
                    .retrieve(
                            io.micronaut.http.HttpRequest.GET("/snapshots/" + PLAIN)
                                    .bearerAuth(token),
                            SnapshotManifest[].class);
            assertThat(listed).extracting(SnapshotManifest::snapshotId).contains(done.snapshotId());
            SnapshotManifest manifest = http.toBlocking()
                    .retrieve(
                            io.micronaut.http.HttpRequest.GET("/snapshots/" + PLAIN + "/" + done.snapshotId())
                                    .bearerAuth(token),
                            SnapshotManifest.class);
            assertThat(manifest.sha256()).isEqualTo(done.sha256());
            assertThat(manifest.liveKeys()).isGreaterThanOrEqualTo(299);
            assertThat(manifest.boltHash()).isEqualTo(status[0]);
            // `sha256sum` of the object as downloaded, compressed: the manifest's storedSha256
            try (S3Client s3 = backplane.s3().client()) {
                byte[] object = s3.getObjectAsBytes(
                                b -> b.bucket(backplane.bucket()).key(done.objectKey()))
                        .asByteArray();
                assertThat(manifest.storedSha256())
                        .isEqualTo(java.util.HexFormat.of()
                                .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                        .digest(object)));
                assertThat(manifest.storedSha256()).isNotEqualTo(manifest.sha256());
            }
            assertThatThrownBy(() -> http.toBlocking()
                            .exchange(
                                    io.micronaut.http.HttpRequest.GET("/snapshots/nobody-" + RUN)
                                            .bearerAuth(token),
                                    Map.class))
                    .isInstanceOfSatisfying(HttpClientResponseException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(404);
                        assertThat(e.getResponse()
                                        .getBody(io.micronaut.core.type.Argument.mapOf(String.class, Object.class))
                                        .orElseThrow())
                                .containsEntry("reason", "UNKNOWN_CLUSTER");
                    });
        }
    }

    @Test
    void encryptedAndCompressedSnapshotsRoundTrip() throws Exception {
        String prefix = "/registry/secret-" + UUID.randomUUID();
        for (int i = 0; i < 50; i++) {
            backplane.etcd().etcdctl("put", prefix + "/k" + i, "secret value " + i);
        }
        SnapshotCompleted done = completed(SECRET);
        assertThat(done.objectKey()).endsWith(".db.zst.enc");
        assertThat(done.encryptionKeyId()).isEqualTo("test-key-1");
        try (S3Client s3 = backplane.s3().client()) {
            byte[] stored = s3.getObjectAsBytes(b -> b.bucket(done.bucket()).key(done.objectKey()))
                    .asByteArray();
            assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain("secret value");
            String manifest = s3.getObjectAsBytes(b -> b.bucket(done.bucket()).key(done.manifestKey()))
                    .asUtf8String();
            assertThat(manifest)
                    .contains("\"keyId\" : \"test-key-1\"")
                    .doesNotContain(Files.readString(keyFile).strip());
        }
        Path db = download(done, Optional.of(SnapshotEncryption.fromSpec(new EncryptionSpec(keyFile.toString(), "x"))));
        assertThat(restoreAndList(db, prefix)).hasSize(50);
    }

    @Test
    void aMemberDownStillYieldsASnapshot() {
        EtcdCluster etcd = backplane.etcd();
        etcd.stopMember(1);
        try {
            SnapshotCompleted done = completed(PLAIN);
            assertThat(done.member()).isNotEqualTo(etcd.members().get(1).clientUrl());
        } finally {
            etcd.startMember(1);
            etcd.awaitHealthy(1);
        }
    }

    @Test
    void rejectsACorruptedOrTruncatedStreamAndCommitsNothing() {
        for (String cluster : List.of(CORRUPT, TRUNCATE)) {
            SnapshotFailed failed = failed(cluster);
            assertThat(failed.reason()).as(cluster).isEqualTo(Reason.INTEGRITY_FAILED);
            assertThat(failed.retriable()).isFalse();
            assertNothingStored(cluster);
            assertThat(context.getBean(MeterRegistry.class)
                            .get("guardian.snapshot.failures")
                            .tag("cluster", cluster)
                            .tag("reason", "INTEGRITY_FAILED")
                            .counter()
                            .count())
                    .as("the dashboard's failure panel")
                    .isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void storeAndEtcdFaultsFailWithAClearReasonAndLeaveNothingBehind() {
        SnapshotFailed denied = failed(DENIED);
        assertThat(denied.reason()).isEqualTo(Reason.STORE_ACCESS_DENIED);
        assertThat(denied.retriable()).isFalse();
        assertThat(denied.detail()).doesNotContain("nothing"); // the secret of the wrong credentials

        assertThat(failed(NO_BUCKET).reason()).isEqualTo(Reason.STORE_MISSING_BUCKET);

        SnapshotFailed noEtcd = failed(NO_ETCD);
        assertThat(noEtcd.reason()).isEqualTo(Reason.ETCD_UNAVAILABLE);
        assertThat(noEtcd.retriable()).isTrue();
        assertNothingStored(NO_ETCD);

        // and the consumer goes on
        completed(PLAIN);
    }

    @Test
    void anUnknownClusterFailsAndIsDeadLettered() {
        String stranger = "stranger-" + RUN;
        try (EventStream.Follower dead = stream.follow(Topics.DEAD_LETTER)) {
            assertThat(failed(stranger).reason()).isEqualTo(Reason.UNKNOWN_CLUSTER);
            assertThat(dead.await(e -> e.clusterId().equals(stranger), Duration.ofSeconds(20)))
                    .isPresent();
        }
    }

    @Test
    void aDuplicatedRequestIsDoneOnceAndALateOneIsCoalesced() {
        CloudEvent request = EventEnvelope.wrap(
                "/test", new BackupRequested(PLAIN, Trigger.ON_DEMAND, "dup", "test", null, Instant.now()));
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            stream.publish(request);
            stream.publish(request);
            // asked for before the first was taken: any snapshot taken since answers it
            CloudEvent late = stream.publish(
                    "/test",
                    new BackupRequested(
                            PLAIN,
                            Trigger.ON_DEMAND,
                            "late",
                            "test",
                            null,
                            Instant.now().minusSeconds(60)));
            SnapshotCompleted first =
                    (SnapshotCompleted) events.await(completedFor(request.getId()), Duration.ofSeconds(60))
                            .orElseThrow();
            SnapshotCompleted coalesced =
                    (SnapshotCompleted) events.await(completedFor(late.getId()), Duration.ofSeconds(60))
                            .orElseThrow();
            assertThat(coalesced.snapshotId()).isEqualTo(first.snapshotId());
        }
        SnapshotManifest[] all = context.getBean(io.etcdguardian.snapshot.catalog.SnapshotController.class)
                .list(PLAIN)
                .toArray(SnapshotManifest[]::new);
        assertThat(Arrays.stream(all).filter(m -> m.requestId().equals(request.getId())))
                .hasSize(1);
    }

    @Test
    void retentionKeepsTheNewestTwoAndTheNewestRestorableOne() {
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(completed(RETAINED).snapshotId());
        }
        var catalog = context.getBean(io.etcdguardian.snapshot.catalog.SnapshotController.class);
        // keepLast 2, but nothing is restorable yet: deleting could leave nothing to restore
        assertThat(catalog.list(RETAINED))
                .extracting(SnapshotManifest::snapshotId)
                .containsExactlyElementsOf(ids);

        try (HttpClient http =
                HttpClient.create(context.getBean(EmbeddedServer.class).getURL())) {
            SnapshotManifest drilled = http.toBlocking()
                    .retrieve(
                            io.micronaut.http.HttpRequest.POST(
                                            "/snapshots/" + RETAINED + "/" + ids.get(0) + "/drill", "")
                                    .bearerAuth(token),
                            SnapshotManifest.class);
            assertThat(drilled.drillPassed()).as(drilled.drill().detail()).isTrue();
        }
        ids.add(completed(RETAINED).snapshotId());
        ids.add(completed(RETAINED).snapshotId());
        // retention runs right after the completed event: await its result rather than race it
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(catalog.list(RETAINED))
                        .extracting(SnapshotManifest::snapshotId)
                        .containsExactly(ids.get(0), ids.get(3), ids.get(4)));
        try (S3Client s3 = backplane.s3().client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(backplane.bucket()).prefix("test/" + RETAINED + "/snapshots/"))
                            .contents())
                    .hasSize(3);
        }

        // a stopped restore still reads snapshot 3 and a drill (on any replica) reads snapshot 4: both stay
        restoreState("restore-of-" + RUN, ids.get(3), "FAILED");
        var spec = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class)
                .require(RETAINED);
        var drill = context.getBean(io.etcdguardian.common.operation.OperationLeases.class)
                .acquire(spec, io.etcdguardian.common.operation.OperationKind.DRILL, "drill-elsewhere", ids.get(4));
        try {
            ids.add(completed(RETAINED).snapshotId());
            ids.add(completed(RETAINED).snapshotId());
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(catalog.list(RETAINED))
                            .extracting(SnapshotManifest::snapshotId)
                            .containsExactly(ids.get(0), ids.get(3), ids.get(4), ids.get(5), ids.get(6)));
        } finally {
            drill.close();
        }
        // once the restore ended and the drill is done, the policy applies again
        restoreState("restore-of-" + RUN, ids.get(3), "COMPLETED");
        ids.add(completed(RETAINED).snapshotId());
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(catalog.list(RETAINED))
                        .extracting(SnapshotManifest::snapshotId)
                        .containsExactly(ids.get(0), ids.get(6), ids.get(7)));
    }

    /** A restore as restore-service journals it (an operation of kind RESTORE reading its snapshot). */
    private static void restoreState(String restoreId, String snapshotId, String status) {
        java.time.Instant now = java.time.Instant.now();
        context.getBean(io.etcdguardian.common.operation.OperationJournal.class)
                .record(new io.etcdguardian.common.operation.OperationRecord(
                        restoreId,
                        RETAINED,
                        io.etcdguardian.common.operation.OperationKind.RESTORE,
                        io.etcdguardian.common.operation.OperationRecord.Status.valueOf(status),
                        snapshotId,
                        List.of("stop-members", "restore-members"),
                        List.of("stop-members"),
                        java.util.Map.of(),
                        null,
                        null,
                        null,
                        now,
                        now));
    }

    @Test
    void aRestoreDrillProvesASnapshotAndCatchesATamperedOne() throws Exception {
        SnapshotCompleted plain = completed(PLAIN);
        SnapshotCompleted secret = completed(SECRET);
        try (HttpClient http =
                        HttpClient.create(context.getBean(EmbeddedServer.class).getURL());
                EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            for (SnapshotCompleted done : List.of(plain, secret)) {
                SnapshotManifest drilled = http.toBlocking()
                        .retrieve(
                                io.micronaut.http.HttpRequest.POST(
                                                "/snapshots/" + done.clusterId() + "/" + done.snapshotId() + "/drill",
                                                "")
                                        .bearerAuth(token),
                                SnapshotManifest.class);
                assertThat(drilled.drill().result())
                        .as(drilled.drill().detail())
                        .isEqualTo(DrillResult.PASSED);
                assertThat(drilled.drill().restoredRevision()).isEqualTo(done.revision());
                assertThat(drilled.drill().restoredKeys()).isEqualTo(drilled.liveKeys());
                assertThat(events.await(
                                e -> e instanceof io.etcdguardian.common.event.SnapshotVerified v
                                        && v.snapshotId().equals(done.snapshotId())
                                        && v.result() == DrillResult.PASSED,
                                Duration.ofSeconds(20)))
                        .isPresent();
            }

            // someone overwrites the stored object: the drill fails and the snapshot is no longer trusted
            try (S3Client s3 = backplane.s3().client()) {
                s3.putObject(
                        b -> b.bucket(plain.bucket()).key(plain.objectKey()),
                        software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[4096]));
            }
            SnapshotManifest failed = http.toBlocking()
                    .retrieve(
                            io.micronaut.http.HttpRequest.POST(
                                            "/snapshots/" + PLAIN + "/" + plain.snapshotId() + "/drill", "")
                                    .bearerAuth(token),
                            SnapshotManifest.class);
            assertThat(failed.drill().result()).isEqualTo(DrillResult.FAILED);
            assertThat(failed.drill().detail()).startsWith("INTEGRITY_FAILED");
            assertThat(failed.drillPassed()).isFalse();
            assertThat(failed.drillFailed()).isTrue();
            var cluster = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class)
                    .require(PLAIN);
            assertThat(context.getBean(io.etcdguardian.common.snapshot.SnapshotCatalog.class)
                            .newestVerified(cluster))
                    .map(SnapshotManifest::snapshotId)
                    .isNotEqualTo(Optional.of(plain.snapshotId()));
        }
    }

    // ---- helpers

    private static Predicate<GuardianEvent> completedFor(String requestId) {
        return e -> e instanceof SnapshotCompleted c && c.requestId().equals(requestId);
    }

    private static SnapshotCompleted completed(String cluster) {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, cluster);
        assertThat(outcome).as("outcome for " + cluster).isInstanceOf(SnapshotCompleted.class);
        return (SnapshotCompleted) outcome;
    }

    private static SnapshotFailed failed(String cluster) {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, cluster);
        assertThat(outcome).as("outcome for " + cluster).isInstanceOf(SnapshotFailed.class);
        return (SnapshotFailed) outcome;
    }

    private static void assertNothingStored(String cluster) {
        try (S3Client s3 = backplane.s3().client()) {
            // the snapshot lease (released) is the operation's, not a stored snapshot
            assertThat(s3.listObjectsV2(b -> b.bucket(backplane.bucket()).prefix("test/" + cluster + "/"))
                            .contents())
                    .filteredOn(o -> !o.key().contains("/leases/"))
                    .as("objects of " + cluster)
                    .isEmpty();
            assertThat(s3.listMultipartUploads(b -> b.bucket(backplane.bucket()).prefix("test/" + cluster + "/"))
                            .uploads())
                    .as("uploads of " + cluster)
                    .isEmpty();
        }
    }

    private static Path download(SnapshotCompleted done, Optional<SnapshotEncryption> encryption) throws IOException {
        Path db = dir.resolve(done.snapshotId() + ".db");
        try (S3Client s3 = backplane.s3().client();
                InputStream object = s3.getObject(b -> b.bucket(done.bucket()).key(done.objectKey()));
                InputStream plain = encryption
                        .map(e -> e.decrypt(object, done.clusterId(), done.snapshotId()))
                        .orElse(object);
                InputStream raw = new ZstdInputStream(plain);
                OutputStream out = Files.newOutputStream(db)) {
            raw.transferTo(out);
        }
        return db;
    }

    /** `etcdctl snapshot restore` into a fresh one-member cluster, started, and the keys under prefix listed. */
    private static List<String> restoreAndList(Path db, String prefix) {
        EtcdCluster restored = EtcdCluster.plan(dir.resolve("restored-" + UUID.randomUUID()), 1, 0);
        Etcdctl.run(List.of(
                EtcdBinaries.snapshotTool().toString(),
                "snapshot",
                "restore",
                db.toString(),
                "--name",
                restored.members().get(0).name(),
                "--data-dir",
                restored.members().get(0).dataDir().toString(),
                "--initial-cluster",
                restored.initialCluster(),
                "--initial-cluster-token",
                restored.token(),
                "--initial-advertise-peer-urls",
                restored.members().get(0).peerUrl()));
        try {
            restored.start();
            String keys = restored.etcdctl("get", prefix + "/", "--prefix", "--keys-only");
            return keys.lines().filter(l -> !l.isBlank()).toList();
        } finally {
            restored.stop();
        }
    }
}
