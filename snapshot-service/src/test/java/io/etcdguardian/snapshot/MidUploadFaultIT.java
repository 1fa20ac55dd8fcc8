package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.S3ProxyServer;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Faults in the middle of an upload, on real processes: the store goes away, or snapshot-service
 * itself is killed with SIGKILL. Nothing may be committed or left half-written, and the request
 * (retried, or redelivered because its offset was never committed) must then complete.
 */
@ExtendWith(BackplaneExtension.class)
class MidUploadFaultIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String CLUSTER = "midupload-" + RUN;
    private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(200);

    @TempDir
    static Path dir;

    static EtcdCluster etcd;
    static S3ProxyServer s3;
    static Backplane backplane;
    static EventStream stream;
    static Path fleet;

    @BeforeAll
    static void start(Backplane shared) throws Exception {
        backplane = shared;
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 1, 0).start();
        try (Client client = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
            byte[] value = new byte[1 << 20];
            Random random = new Random(3);
            for (int i = 0; i < 96; i++) {
                random.nextBytes(value); // incompressible: the upload carries every byte
                client.getKVClient()
                        .put(ByteSequence.from(("/big/" + i).getBytes()), ByteSequence.from(value))
                        .get();
            }
        }
        s3 = S3ProxyServer.plan(dir.resolve("s3")).start();
        s3.createBucket("fault-snapshots");
        Path credentials = s3.writeCredentials(dir.resolve("s3.properties"));
        fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: fault-snapshots, endpoint: %s, credentialsFile: %s }
                """.formatted(
                        CLUSTER, etcd.endpoints().get(0), s3.endpoint(), credentials));
        stream = new EventStream(shared.kafka().bootstrapServers());
    }

    @AfterAll
    static void stop() {
        stream.close();
        s3.stop();
        etcd.stop();
    }

    @Test
    void theServiceKilledMidUploadRedoesTheRequestAfterARestartAndCommitsOnce() throws Exception {
        ChildProcess service = service("kill");
        String requestId;
        int before = manifests().size();
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            requestId = request(Instant.now());
            // mid-capture: bytes are in the spool
            assertThat(events.await(
                            e -> e instanceof io.etcdguardian.common.event.SnapshotProgress p
                                    && p.requestId().equals(requestId)
                                    && p.bytesCaptured() > 0,
                            Duration.ofSeconds(60)))
                    .isPresent();
            service.kill();
            assertThat(manifests()).hasSize(before);
            try (java.util.stream.Stream<Path> left = Files.list(dir.resolve("spool"))) {
                assertThat(left.filter(f -> f.getFileName().toString().startsWith(CLUSTER + "-")))
                        .as("what the kill left in the spool")
                        .isNotEmpty();
            }

            service = service("kill");
            GuardianEvent outcome = events.await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.requestId().equals(requestId),
                            Duration.ofSeconds(120))
                    .orElseThrow(() -> new AssertionError("the redelivered request never completed"));
            assertThat(((SnapshotCompleted) outcome).requestId()).isEqualTo(requestId);
        } finally {
            service.stop(Duration.ofSeconds(10));
        }
        assertThat(manifests()).hasSize(before + 1);
        try (java.util.stream.Stream<Path> left = Files.list(dir.resolve("spool"))) {
            assertThat(left.filter(Files::isRegularFile))
                    .as("the killed attempt's spool file is gone too")
                    .isEmpty();
        }
        // the killed attempt's multipart upload is aborted by the orphan sweep after the retry (orphan-age 1s here)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            try (S3Client client = s3.client()) {
                assertThat(client.listMultipartUploads(
                                        b -> b.bucket("fault-snapshots").prefix(CLUSTER + "/"))
                                .uploads())
                        .as("no multipart upload left")
                        .isEmpty();
            }
        });
    }

    @Test
    void theStoreGoingAwayMidUploadFailsCleanlyAndARetryCompletes() throws Exception {
        ChildProcess service = service("s3down");
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            int before = manifests().size();
            String first = request(Instant.now());
            assertThat(events.await(
                            e -> e instanceof SnapshotStarted s && s.requestId().equals(first), Duration.ofSeconds(60)))
                    .isPresent();
            s3.kill();
            SnapshotFailed failed = (SnapshotFailed) events.await(
                            e -> e instanceof SnapshotFailed f && f.requestId().equals(first), Duration.ofSeconds(120))
                    .orElseThrow();
            assertThat(failed.reason()).isEqualTo(Reason.STORE_UNAVAILABLE);
            assertThat(failed.retriable()).isTrue();

            s3.start();
            assertThat(manifests()).hasSize(before);
            String retry = request(Instant.now());
            assertThat(events.await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.requestId().equals(retry),
                            Duration.ofSeconds(120)))
                    .isPresent();
            assertThat(manifests()).hasSize(before + 1);
            // the upload the outage interrupted is gone or cleaned up, never an object without a manifest
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                try (S3Client client = s3.client()) {
                    assertThat(client.listObjectsV2(
                                            b -> b.bucket("fault-snapshots").prefix(CLUSTER + "/snapshots/"))
                                    .contents())
                            .hasSize(before + 1);
                }
            });
        } finally {
            service.stop(Duration.ofSeconds(10));
        }
    }

    @Test
    void aRunningSnapshotReportsItsProgressAtABoundedRate() throws Exception {
        ChildProcess service = service("progress");
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String id = request(Instant.now());
            List<GuardianEvent> seen = events.until(
                    e -> e instanceof SnapshotCompleted c && c.requestId().equals(id)
                            || e instanceof SnapshotFailed f && f.requestId().equals(id),
                    Duration.ofSeconds(120));
            assertThat(seen).isNotEmpty().last().isInstanceOf(SnapshotCompleted.class);
            SnapshotCompleted done = (SnapshotCompleted) seen.get(seen.size() - 1);
            SnapshotStarted started = seen.stream()
                    .filter(e -> e instanceof SnapshotStarted s && s.requestId().equals(id))
                    .map(SnapshotStarted.class::cast)
                    .findFirst()
                    .orElseThrow();
            List<io.etcdguardian.common.event.SnapshotProgress> progress = seen.stream()
                    .filter(e -> e instanceof io.etcdguardian.common.event.SnapshotProgress p
                            && p.requestId().equals(id))
                    .map(io.etcdguardian.common.event.SnapshotProgress.class::cast)
                    .toList();
            assertThat(started.expectedBytes()).isGreaterThanOrEqualTo(96L << 20);
            // 96 MiB, uncompressed, one 5 MiB part at a time: seconds of upload, several reports
            assertThat(progress).hasSizeGreaterThanOrEqualTo(2);
            assertThat(progress.size())
                    .as("at most one report per interval")
                    .isLessThanOrEqualTo((int) (done.durationMs() / PROGRESS_INTERVAL.toMillis()) + 2);
            for (int i = 0; i < progress.size(); i++) {
                var p = progress.get(i);
                assertThat(p.snapshotId()).isEqualTo(done.snapshotId());
                assertThat(p.bytesUploaded()).isLessThanOrEqualTo(p.bytesCaptured());
                assertThat(p.bytesCaptured()).isLessThanOrEqualTo(p.bytesTotal());
                if (i > 0) {
                    assertThat(p.bytesCaptured())
                            .isGreaterThanOrEqualTo(progress.get(i - 1).bytesCaptured());
                    assertThat(p.bytesUploaded())
                            .isGreaterThanOrEqualTo(progress.get(i - 1).bytesUploaded());
                }
            }
            assertThat(progress).anySatisfy(p -> {
                assertThat(p.bytesPerSecond()).isPositive();
                assertThat(p.etaSeconds()).isNotNull();
            });
            assertThat(progress.get(progress.size() - 1).bytesUploaded()).isGreaterThan(0);
        } finally {
            service.stop(Duration.ofSeconds(10));
        }
    }

    private static String request(Instant at) {
        return stream.publish("/test", new BackupRequested(CLUSTER, Trigger.ON_DEMAND, "fault", "test", null, at))
                .getId();
    }

    private static List<String> manifests() {
        try (S3Client client = s3.client()) {
            return client
                    .listObjectsV2(b -> b.bucket("fault-snapshots").prefix(CLUSTER + "/manifests/"))
                    .contents()
                    .stream()
                    .map(o -> o.key())
                    .toList();
        }
    }

    /** snapshot-service as its own JVM, slow to upload (5 MiB parts, one at a time). */
    private static ChildProcess service(String name) {
        return ForkedSnapshotService.start(
                "snapshot-service-" + name,
                Path.of("target", "midupload-" + RUN),
                dir,
                backplane,
                fleet,
                "midupload-" + RUN + "-" + name,
                dir.resolve("spool"),
                List.of(
                        "-Dguardian.snapshot.part-size-bytes=5242880",
                        "-Dguardian.snapshot.upload-concurrency=1",
                        "-Dguardian.snapshot.compression=none",
                        "-Dguardian.snapshot.attempts=1",
                        "-Dguardian.snapshot.part-attempts=2",
                        "-Dguardian.snapshot.part-retry-backoff=100ms",
                        "-Dguardian.snapshot.orphan-age=1s",
                        "-Dguardian.snapshot.drill.enabled=false",
                        "-Dguardian.snapshot.progress-interval=" + PROGRESS_INTERVAL.toMillis() + "ms"));
    }
}
