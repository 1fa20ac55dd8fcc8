package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.S3ProxyServer;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.etcdguardian.restore.stage.StagedCopySweeper;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * A staged restore copy — a whole cluster's data, reachable by a presigned URL — is encrypted at rest
 * by the store, removed when its restore ends, and swept when a crash or a hand-over left it: against
 * S3Proxy's transient backend, which answers server-side encryption as S3 does.
 */
@ExtendWith(BackplaneExtension.class)
class StagedCopiesIT {
    @TempDir
    Path dir;

    @Test
    void encryptedAtRestRemovedAtTheEndAndSweptWhenLeftBehind(Backplane backplane) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.plan(dir.resolve("s3"), true).start();
        String cluster = "staged-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            s3.createBucket("staged-snapshots");
            SnapshotManifest manifest =
                    CommittedSnapshots.commit(s3, "staged-snapshots", "", cluster, backplane.etcd(), dir, null);
            Path credentials = s3.writeCredentials(dir.resolve("s3.properties"));
            Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s] }
                        store: { bucket: staged-snapshots, endpoint: %s, credentialsFile: %s }
                    """.formatted(
                            cluster, backplane.etcd().endpoints().get(0), s3.endpoint(), credentials));
            Map<String, String> settings = RestoreServiceUnderTest.settings(backplane, fleet, dir, "staged-" + cluster);
            settings.remove("guardian.restore.staged-encryption"); // the default: on
            settings.put("guardian.restore.presign-expiry", "1m");
            try (ApplicationContext service = RestoreServiceUnderTest.start(settings)) {
                ClusterSpec spec = service.getBean(FleetRegistry.class).require(cluster);
                SnapshotStaging staging = service.getBean(SnapshotStaging.class);
                String restoreId = "r" + UUID.randomUUID().toString().substring(0, 8);
                RestoreRun run =
                        new RestoreRun(spec, manifest, restoreId, Instant.now(), Map.of(), List.of(), false, null);

                String key = staging.upload(run);
                try (var client = s3.client()) {
                    assertThat(client.headObject(
                                            b -> b.bucket("staged-snapshots").key(key))
                                    .serverSideEncryption())
                            .as("written with server-side encryption")
                            .isEqualTo(ServerSideEncryption.AES256);
                    assertThat(client.headObject(
                                            b -> b.bucket("staged-snapshots").key(key))
                                    .contentLength())
                            .isEqualTo(manifest.sizeRaw());
                }
                // handed over to hosts (kubeadm): they fetch through a fresh short-lived URL, no credentials
                Instant at = Instant.now();
                OperationJournal handedOver = service.getBean(OperationJournal.class);
                handedOver.record(new OperationRecord(
                        restoreId,
                        cluster,
                        OperationKind.RESTORE,
                        OperationRecord.Status.HANDED_OVER,
                        manifest.snapshotId(),
                        List.of(),
                        List.of(),
                        Map.of(),
                        null,
                        null,
                        "the rest runs on the host",
                        at,
                        at));
                var controller = service.getBean(io.etcdguardian.restore.api.RestoreController.class);
                String url = controller.snapshotUrl(cluster, restoreId).get("url");
                assertThat(url).contains("X-Amz-Expires=60");
                byte[] fetched = java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofByteArray())
                        .body();
                assertThat(fetched.length)
                        .as("the URL serves the staged snapshot")
                        .isEqualTo((int) manifest.sizeRaw());

                staging.discard(spec, restoreId);
                assertThat(exists(s3, key))
                        .as("removed at the end of its restore")
                        .isFalse();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> controller.snapshotUrl(cluster, restoreId))
                        .as("nothing staged any more")
                        .hasMessageContaining("nothing is staged");
                assertThat(staging.spoolFile(run).getParent()).doesNotExist();

                // left behind: one by a restore that ended (crashed before its cleanup), one by a running one
                String ended = "r" + UUID.randomUUID().toString().substring(0, 8);
                String running = "r" + UUID.randomUUID().toString().substring(0, 8);
                OperationJournal journal = service.getBean(OperationJournal.class);
                Instant now = Instant.now();
                journal.record(new OperationRecord(
                        ended,
                        cluster,
                        OperationKind.RESTORE,
                        OperationRecord.Status.FAILED,
                        manifest.snapshotId(),
                        List.of(),
                        List.of(),
                        Map.of(),
                        null,
                        "TIMEOUT",
                        "test",
                        now,
                        now));
                journal.record(new OperationRecord(
                        running,
                        cluster,
                        OperationKind.RESTORE,
                        OperationRecord.Status.RUNNING,
                        manifest.snapshotId(),
                        List.of(),
                        List.of(),
                        Map.of(),
                        null,
                        null,
                        null,
                        now,
                        now));
                try (var client = s3.client()) {
                    for (String id : List.of(ended, running)) {
                        client.putObject(
                                b -> b.bucket("staged-snapshots")
                                        .key(SnapshotKeys.staged(spec, id))
                                        .serverSideEncryption(ServerSideEncryption.AES256),
                                RequestBody.fromString("x"));
                    }
                }
                StagedCopySweeper sweeper = service.getBean(StagedCopySweeper.class);
                assertThat(sweeper.sweep(spec, Instant.now()))
                        .as("URLs still valid: nothing swept")
                        .isEmpty();
                assertThat(sweeper.sweep(spec, Instant.now().plus(Duration.ofMinutes(5))))
                        .containsExactly(SnapshotKeys.staged(spec, ended));
                assertThat(exists(s3, SnapshotKeys.staged(spec, running)))
                        .as("a running restore's copy stays")
                        .isTrue();
            }
        } finally {
            s3.stop();
        }
    }

    private static boolean exists(S3ProxyServer s3, String key) {
        try (var client = s3.client()) {
            client.headObject(b -> b.bucket("staged-snapshots").key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }
}
