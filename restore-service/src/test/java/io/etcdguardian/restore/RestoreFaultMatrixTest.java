package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The restore's fault matrix on the local target: restore-service is ended as SIGKILL would end it
 * ({@code Runtime.halt}) after each step's work and before the journal says it is done — the point
 * where a resume runs the step again —, and in the middle of the two per-member steps (one member's
 * data replaced, one member started). A new process takes the redelivered request and resumes. After
 * each: the restore COMPLETED once, the cluster at exactly the snapshot's revision and keys, three
 * members (no second process of one), healthy and writable, no spool copy and no staged copy left.
 */
@ExtendWith(BackplaneExtension.class)
class RestoreFaultMatrixTest {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final List<String> FAILPOINTS = List.of("restore.fetch-snapshot", "restore.stop-members",
            "restore.restore-data.member", "restore.restore-data", "restore.start-members.member",
            "restore.start-members", "restore.verify", "restore.cleanup");

    @TempDir
    static Path dir;
    static Backplane backplane;
    static EtcdCluster etcd;

    @BeforeAll
    static void start(Backplane shared) {
        backplane = shared;
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
    }

    @AfterAll
    static void stop() {
        etcd.stop();
    }

    @Test
    void killedAtEveryStepTheRestoreResumesAndEndsOnce() throws Exception {
        List<String> table = new ArrayList<>();
        int survived = 0;
        for (String failpoint : FAILPOINTS) {
            killedAt(failpoint, "rmatrix-" + (table.size() + 1) + "-" + RUN);
            survived++;
            table.add(String.format("  %-8s %-30s %-8s %s", "restore", failpoint, "SIGKILL", "survived"));
        }
        System.out.println("fault matrix (restore-service, local target)\n  operation step (failpoint)"
                + "             fault    result\n" + String.join("\n", table) + "\n" + FAILPOINTS.size()
                + " faults injected, " + survived + " survived, " + (FAILPOINTS.size() - survived) + " lost");
    }

    private void killedAt(String failpoint, String cluster) throws Exception {
        SnapshotManifest snapshot;
        try (Client client = client()) {
            for (int i = 0; i < 20; i++) {
                put(client, "/registry/" + cluster + "/" + i, "v" + i);
            }
            snapshot = CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
            put(client, "/registry/after-the-snapshot", cluster); // the restore must take it away
        }
        Path fleet = Files.writeString(dir.resolve(cluster + "-fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                    kubernetes: { kind: local }
                    restore: { localDir: %s }
                """.formatted(cluster, String.join(", ", etcd.endpoints()), backplane.bucket(), backplane.s3().endpoint(),
                RestoreServiceUnderTest.credentials(backplane, dir), etcd.dir()));
        Map<String, String> settings = new HashMap<>(RestoreServiceUnderTest.settings(backplane, fleet, dir,
                "restore-" + cluster));
        // the killed consumer's partitions move on after the session timeout, not after 45 s
        settings.put("kafka.consumers.restore-" + cluster + ".session.timeout.ms", "6000");
        settings.put("kafka.consumers.restore-" + cluster + ".heartbeat.interval.ms", "1000");
        Map<String, String> armed = new HashMap<>(settings);
        armed.put("guardian.failpoints", failpoint);
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
             EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            Process first = RestoreServiceUnderTest.fork(armed, Path.of("target", cluster + "-armed.log"));
            Process second = null;
            try {
                String id = RestoreServiceUnderTest.applyPlan(stream, events, new RestoreRequested(cluster,
                        snapshot.snapshotId(), "local", false, false, "fault matrix"));
                assertThat(first.waitFor(120, TimeUnit.SECONDS)).as("ended at " + failpoint + "; see target/" + cluster
                        + "-armed.log").isTrue();
                assertThat(Files.readString(Path.of("target", cluster + "-armed.log")))
                        .contains("failpoint " + failpoint + " armed");

                second = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + "-again.log"));
                RestoreProgress end = end(events, id, Duration.ofSeconds(180)).orElseThrow(() ->
                        new AssertionError("the restore killed at " + failpoint + " never ended; see target/" + cluster
                                + "-again.log"));
                assertThat(end.status()).as(failpoint + ": " + end.detail()).isEqualTo("COMPLETED");
                assertThat(end(events, id, Duration.ofSeconds(3))).as("one final event").isEmpty();
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    second.destroy();
                    second.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
        holdsExactly(snapshot, cluster);
        assertThat(memberProcesses()).as("one process per member, none started twice").isEqualTo(3);
        try (Stream<Path> left = Files.walk(dir.resolve("spool"))) {
            assertThat(left.filter(Files::isRegularFile).toList()).as("spool copies").isEmpty();
        }
        try (S3Client s3 = backplane.s3().client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(cluster + "/restores/")).contents())
                    .as("staged copies").isEmpty();
        }
    }

    private static Optional<RestoreProgress> end(EventStream.Follower events, String id, Duration within) {
        return events.await(e -> e instanceof RestoreProgress p && p.restoreId().equals(id) && p.step().equals("restore")
                && !p.status().equals("STARTED"), within).map(RestoreProgress.class::cast);
    }

    /** The snapshot's revision and keys, nothing written after it, three healthy members taking writes. */
    private static void holdsExactly(SnapshotManifest snapshot, String cluster) throws Exception {
        try (Client client = client()) {
            ByteSequence all = ByteSequence.from(new byte[] {0});
            GetResponse count = client.getKVClient().get(all, GetOption.builder().withRange(all).withCountOnly(true)
                    .build()).get(30, TimeUnit.SECONDS);
            assertThat(count.getHeader().getRevision()).isEqualTo(snapshot.revision());
            assertThat(count.getCount()).isEqualTo(snapshot.liveKeys());
            GetResponse after = client.getKVClient().get(bytes("/registry/after-the-snapshot")).get(10, TimeUnit.SECONDS);
            assertThat(after.getKvs()).extracting(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
                    .as("the write after the snapshot is gone").doesNotContain(cluster);
            put(client, "/after-restore", cluster);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(etcd.etcdctl("endpoint", "health")).doesNotContain("unhealthy"));
    }

    private static long memberProcesses() {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("--data-dir") && c.contains(etcd.dir().toString())).orElse(false)).count();
    }

    private static Client client() {
        return Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
    }

    private static void put(Client client, String key, String value) throws Exception {
        client.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
