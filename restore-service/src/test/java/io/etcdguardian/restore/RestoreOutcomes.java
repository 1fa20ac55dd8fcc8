package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How the fault tests read a local restore's end: its final event, and what must hold of the cluster
 * and of the restore's leftovers once it COMPLETED.
 */
final class RestoreOutcomes {
    /** Written after each test snapshot: a restore of that snapshot takes it away. */
    static final String AFTER_THE_SNAPSHOT = "/registry/after-the-snapshot";

    private RestoreOutcomes() {}

    /**
     * Twenty keys of {@code cluster}, a committed snapshot of them, then the write a restore of it must
     * take away ({@link #AFTER_THE_SNAPSHOT}, valued {@code cluster}).
     */
    static SnapshotManifest snapshotThenWriteAfter(Backplane backplane, EtcdCluster etcd, Path dir, String cluster)
            throws Exception {
        try (Client client = client(etcd)) {
            for (int i = 0; i < 20; i++) {
                put(client, "/registry/" + cluster + "/" + i, "v" + i);
            }
            SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
            put(client, AFTER_THE_SNAPSHOT, cluster);
            return snapshot;
        }
    }

    /** The restore's final event (COMPLETED, FAILED, …), if one comes {@code within}. */
    static Optional<RestoreProgress> end(EventStream.Follower events, String id, Duration within) {
        return events.await(e -> isEnd(e, id), within).map(RestoreProgress.class::cast);
    }

    /**
     * The final events of restore {@code id} published before the service answers a sentinel: a dry run
     * of {@code request} on the same cluster. A cluster's requests are handled one at a time and in
     * order, so whatever the restore (or a redelivery of it) still had to say comes before the plan.
     */
    static List<RestoreProgress> endsBeforeSentinel(
            EventStream stream, EventStream.Follower events, RestoreRequested request, String id) {
        String sentinel = stream.publish("/test", request.planOnly()).getId();
        List<GuardianEvent> seen = events.until(
                e -> e instanceof RestorePlanned p && p.restoreId().equals(sentinel) || isEnd(e, sentinel),
                Duration.ofSeconds(120));
        assertThat(seen).as("the sentinel's plan").isNotEmpty();
        return seen.stream()
                .filter(e -> isEnd(e, id))
                .map(RestoreProgress.class::cast)
                .toList();
    }

    private static boolean isEnd(GuardianEvent e, String id) {
        return e instanceof RestoreProgress p
                && p.restoreId().equals(id)
                && p.step().equals("restore")
                && p.status() != ProgressStatus.STARTED;
    }

    /**
     * Exactly the snapshot's revision and key count, not the write made after it (its value
     * {@code marker}), three healthy member processes (none started twice) taking writes, no spool copy
     * in {@code spool} and no staged copy in the store.
     */
    static void restored(EtcdCluster etcd, SnapshotManifest snapshot, String marker, Backplane backplane, Path spool)
            throws Exception {
        try (Client client = client(etcd)) {
            ByteSequence all = ByteSequence.from(new byte[] {0});
            GetResponse count = client.getKVClient()
                    .get(
                            all,
                            GetOption.builder()
                                    .withRange(all)
                                    .withCountOnly(true)
                                    .build())
                    .get(30, TimeUnit.SECONDS);
            assertThat(count.getHeader().getRevision()).isEqualTo(snapshot.revision());
            assertThat(count.getCount()).isEqualTo(snapshot.liveKeys());
            assertThat(value(client, AFTER_THE_SNAPSHOT))
                    .as("the write after the snapshot is gone")
                    .isNotEqualTo(marker);
            put(client, "/after-restore", marker);
        }
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () -> assertThat(etcd.etcdctl("endpoint", "health")).doesNotContain("unhealthy"));
        assertThat(ProcessHandle.allProcesses()
                        .filter(p -> p.info()
                                .commandLine()
                                .map(c -> c.contains("--data-dir")
                                        && c.contains(etcd.dir().toString()))
                                .orElse(false))
                        .count())
                .as("one process per member, none started twice")
                .isEqualTo(3);
        if (Files.isDirectory(spool)) {
            try (Stream<Path> left = Files.walk(spool)) {
                assertThat(left.filter(Files::isRegularFile)
                                .filter(f -> !f.getFileName().toString().equals("filler"))
                                .toList())
                        .as("spool copies")
                        .isEmpty();
            }
        }
        try (S3Client s3 = backplane.s3().client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(backplane.bucket()).prefix(snapshot.clusterId() + "/restores/"))
                            .contents())
                    .as("staged copies")
                    .isEmpty();
        }
    }

    static Client client(EtcdCluster etcd) {
        return Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build();
    }

    static void put(Client client, String key, String value) throws Exception {
        client.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    static String value(Client client, String key) throws Exception {
        GetResponse r = client.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS);
        return r.getKvs().isEmpty() ? null : r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
