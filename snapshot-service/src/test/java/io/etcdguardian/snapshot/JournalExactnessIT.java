package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetParser;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalKeys;
import io.etcdguardian.common.journal.JournalReplay;
import io.etcdguardian.common.journal.JournalRevision;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.journal.PointInTimePlan;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal is exact: a random workload (puts, overwrites, deletes, prefix deletes, multi-key txns,
 * leases granted and revoked, 1 MiB values) on a real 3-member etcd, across a snapshot taken while it
 * runs and a journal writer SIGKILLed with revisions received and not committed; then, for random
 * revisions, the newest snapshot at or before each plus the journal's segments, replayed into a scratch
 * etcd, equals {@code get --rev=R} of the source: every key, value, create and mod revision and version.
 */
@ExtendWith(BackplaneExtension.class)
class JournalExactnessIT {
    private static final ByteSequence ALL = ByteSequence.from(new byte[] {0});

    @TempDir
    Path dir;

    @Test
    void everyRevisionMaterialisesExactlyAsTheSourceHadIt(Backplane backplane) throws Exception {
        long seed = Long.getLong("journal.seed", System.nanoTime());
        Random random = new Random(seed);
        String id = "journal-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster source = EtcdCluster.plan(dir.resolve("source"), 3, 0).start();
        Path credentials = SnapshotRequests.credentials(backplane, dir);
        String fleetYaml = """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                """.formatted(
                        id,
                        String.join(", ", source.endpoints()),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials);
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), fleetYaml);
        ClusterSpec cluster = FleetParser.parseDocument(fleetYaml).clusters().get(id);
        SnapshotStores stores = new SnapshotStores(new S3Clients());
        EncryptionKeys keys = new EncryptionKeys(new KubernetesClients(""));
        JournalStore journal = new JournalStore(stores, keys);
        SnapshotCatalog catalog = new SnapshotCatalog(stores);
        Path logs = Path.of("target", "journal-exactness-" + id);
        List<String> settings = List.of(
                "-Dguardian.journal.enabled=true",
                "-Dguardian.journal.segment-interval=500ms",
                "-Dguardian.snapshot.drill.enabled=false",
                "-Dguardian.snapshot.drill-after-capture-max-bytes=0");
        Workload workload;
        ChildProcess first = null;
        ChildProcess second = null;
        try (Client client = Client.builder()
                        .endpoints(source.endpoints().toArray(String[]::new))
                        .maxInboundMessageSize(256 << 20)
                        .build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
            workload = new Workload(client, random);
            workload.run(150);
            first = ForkedSnapshotService.start(
                    "journal-a", logs, dir, backplane, fleet, "journal-" + id, dir.resolve("spool-a"), settings);
            SnapshotManifest base1 = snapshot(stream, catalog, cluster);
            workload.run(150);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> committedTo(journal, cluster) >= workload.lastRevision());

            // a snapshot taken while the workload runs
            try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
                String request = stream.publish(
                                "/test",
                                new BackupRequested(id, Trigger.ON_DEMAND, "test", "test", null, Instant.now()))
                        .getId();
                while (events.await(
                                e -> e instanceof SnapshotCompleted c
                                        && c.requestId().equals(request),
                                Duration.ofMillis(1))
                        .isEmpty()) {
                    workload.run(10);
                }
            }
            workload.run(150);
            long beforeKill = committedTo(journal, cluster);
            first.kill(); // revisions received in the last half second die with it
            workload.run(150);
            second = ForkedSnapshotService.start(
                    "journal-b", logs, dir, backplane, fleet, "journal-" + id, dir.resolve("spool-b"), settings);
            workload.run(100);
            long last = workload.lastRevision();
            await().atMost(Duration.ofSeconds(90)).until(() -> committedTo(journal, cluster) >= last);
            assertThat(beforeKill)
                    .as("the killed writer had committed some of the journal")
                    .isGreaterThan(base1.revision());

            List<JournalKeys.Range> segments = journal.segments(cluster, JournalEpoch.FIRST);
            for (int i = 1; i < segments.size(); i++) {
                assertThat(segments.get(i).from())
                        .as("segment %s follows %s: no gap, no repeat", segments.get(i), segments.get(i - 1))
                        .isEqualTo(segments.get(i - 1).to() + 1);
            }
            assertThat(segments.get(0).from()).isEqualTo(base1.revision() + 1);
            assertThat(journal.gaps(cluster, JournalEpoch.FIRST)).isEmpty();

            // 20 random revisions and the edges: each snapshot's own revision and the one after, the last
            TreeSet<Long> targets = new TreeSet<>();
            List<SnapshotManifest> snapshots = catalog.list(cluster);
            snapshots.forEach(s -> {
                targets.add(s.revision());
                targets.add(s.revision() + 1);
            });
            targets.add(last);
            while (targets.size() < 20 + snapshots.size() * 2 + 1) {
                targets.add(base1.revision() + 1 + (long) (random.nextDouble() * (last - base1.revision())));
            }
            targets.removeIf(r -> r > last);
            Map<SnapshotManifest, List<Long>> byBase =
                    new TreeMap<>(java.util.Comparator.comparingLong(SnapshotManifest::revision));
            for (long target : targets) {
                byBase.computeIfAbsent(
                                PointInTimePlan.of(JournalEpoch.FIRST, snapshots, segments, target)
                                        .base(),
                                b -> new ArrayList<>())
                        .add(target);
            }
            assertThat(byBase).as("both snapshots serve as a base").hasSizeGreaterThanOrEqualTo(2);
            int compared = 0;
            for (var entry : byBase.entrySet()) {
                compared += materialiseAndCompare(
                        cluster, entry.getKey(), entry.getValue(), segments, journal, stores, keys, client, seed);
            }
            assertThat(compared).isGreaterThanOrEqualTo(20);

            // the service makes the same: point-in-time snapshots by revision and by time, restorable as they are
            long byRevision = base1.revision() + 1 + (long) (random.nextDouble() * (last - base1.revision() - 1));
            SnapshotManifest pit = pointInTime(
                    stream, catalog, cluster, BackupRequested.pointInTime(id, byRevision, null, "test", "test"));
            assertThat(pit.revision()).isEqualTo(byRevision);
            assertThat(pit.trigger()).isEqualTo(Trigger.POINT_IN_TIME.name());
            assertThat(pit.pointInTime().revision()).isEqualTo(byRevision);
            assertThat(pit.pointInTime().baseRevision()).isLessThanOrEqualTo(byRevision);
            assertThat(pit.takenAt())
                    .as("sorts by the time of its data")
                    .isEqualTo(pit.pointInTime().revisionTime())
                    .isBefore(Instant.now().minusSeconds(1));
            materialiseAndCompare(
                    cluster, pit, new ArrayList<>(List.of(byRevision)), List.of(), journal, stores, keys, client, seed);

            long someRevision = segments.get(segments.size() / 2).to();
            Instant at = journal.arrivalOf(cluster, JournalEpoch.FIRST, someRevision)
                    .orElseThrow()
                    .plusMillis(1);
            SnapshotManifest byTime =
                    pointInTime(stream, catalog, cluster, BackupRequested.pointInTime(id, null, at, "test", "test"));
            assertThat(byTime.revision())
                    .as("the last revision received at or before %s", at)
                    .isEqualTo(
                            journal.revisionAt(cluster, JournalEpoch.FIRST, at).orElseThrow())
                    .isGreaterThanOrEqualTo(someRevision);
            materialiseAndCompare(
                    cluster,
                    byTime,
                    new ArrayList<>(List.of(byTime.revision())),
                    List.of(),
                    journal,
                    stores,
                    keys,
                    client,
                    seed);
        } finally {
            // a service left running would answer the next test's requests for clusters it does not know
            if (first != null) {
                first.kill();
            }
            if (second != null) {
                second.kill();
            }
            source.stop();
        }
    }

    /** Restores {@code base} into a scratch etcd and replays to each target in turn, comparing with the source. */
    private int materialiseAndCompare(
            ClusterSpec cluster,
            SnapshotManifest base,
            List<Long> targets,
            List<JournalKeys.Range> segments,
            JournalStore journal,
            SnapshotStores stores,
            EncryptionKeys keys,
            Client source,
            long seed)
            throws Exception {
        Path scratch = dir.resolve("scratch-" + base.revision());
        Files.createDirectories(scratch);
        Path db = new SnapshotFetcher(stores, keys).fetch(cluster, base, scratch.resolve("snapshot.db"));
        EtcdCluster etcd =
                EtcdCluster.plan(scratch.resolve("etcd"), 1, 0).withBinaries(EtcdBinaries.dirFor(base.etcdVersion()));
        etcd.restoreFrom(db, List.of());
        etcd.start();
        int compared = 0;
        try (JournalReplay replay = JournalReplay.open(etcd.endpoints().get(0));
                Client restored = Client.builder()
                        .endpoints(etcd.endpoints().get(0))
                        .maxInboundMessageSize(256 << 20)
                        .build()) {
            assertThat(replay.revision()).isEqualTo(base.revision());
            for (JournalKeys.Range range : segments) {
                if (range.to() <= base.revision()) {
                    continue;
                }
                for (JournalRevision r : journal.read(cluster, journal.manifest(cluster, JournalEpoch.FIRST, range))) {
                    while (!targets.isEmpty() && targets.get(0) < r.revision()) {
                        compare(source, restored, targets.remove(0), seed);
                        compared++;
                    }
                    if (targets.isEmpty()) {
                        return compared;
                    }
                    replay.apply(r);
                }
            }
            while (!targets.isEmpty()) {
                compare(source, restored, targets.remove(0), seed);
                compared++;
            }
        } finally {
            etcd.stop();
        }
        return compared;
    }

    private static void compare(Client source, Client restored, long revision, long seed) throws Exception {
        List<String> expected = describe(source.getKVClient()
                .get(
                        ALL,
                        GetOption.builder()
                                .withRange(ALL)
                                .withRevision(revision)
                                .build())
                .get(60, TimeUnit.SECONDS)
                .getKvs());
        var got = restored.getKVClient()
                .get(ALL, GetOption.builder().withRange(ALL).build())
                .get(60, TimeUnit.SECONDS);
        assertThat(got.getHeader().getRevision()).as("scratch revision").isEqualTo(revision);
        assertThat(describe(got.getKvs()))
                .as("state at revision %d (workload seed %d)", revision, seed)
                .containsExactlyElementsOf(expected);
    }

    /** Every field the journal must reproduce, the value by its bytes' hash and length. */
    private static List<String> describe(List<KeyValue> kvs) {
        return kvs.stream()
                .map(kv -> kv.getKey().toString(StandardCharsets.UTF_8) + " create=" + kv.getCreateRevision()
                        + " mod=" + kv.getModRevision() + " version=" + kv.getVersion() + " lease="
                        + Long.toHexString(kv.getLease()) + " value="
                        + kv.getValue().getBytes().length + "/"
                        + java.util.Arrays.hashCode(kv.getValue().getBytes()))
                .collect(Collectors.toList());
    }

    private static long committedTo(JournalStore journal, ClusterSpec cluster) {
        return journal.segments(cluster, JournalEpoch.FIRST).stream()
                .mapToLong(JournalKeys.Range::to)
                .max()
                .orElse(0);
    }

    private static SnapshotManifest pointInTime(
            EventStream stream, SnapshotCatalog catalog, ClusterSpec cluster, BackupRequested request) {
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String requestId = stream.publish("/test", request).getId();
            GuardianEvent outcome = events.await(
                            e -> (e instanceof SnapshotCompleted c
                                            && c.requestId().equals(requestId))
                                    || (e instanceof SnapshotFailed f
                                            && f.requestId().equals(requestId)),
                            Duration.ofSeconds(120))
                    .orElseThrow(() -> new AssertionError("no outcome for " + request));
            assertThat(outcome).as(String.valueOf(outcome)).isInstanceOf(SnapshotCompleted.class);
            return catalog.require(cluster, ((SnapshotCompleted) outcome).snapshotId());
        }
    }

    private static SnapshotManifest snapshot(EventStream stream, SnapshotCatalog catalog, ClusterSpec cluster) {
        SnapshotCompleted done = (SnapshotCompleted) SnapshotRequests.outcome(stream, cluster.id());
        return catalog.require(cluster, done.snapshotId());
    }

    /** Random writes of every kind the journal must carry, one revision each (a txn: one for all its ops). */
    private static final class Workload {
        private final KV kv;
        private final Client client;
        private final Random random;
        private final List<String> live = new ArrayList<>();
        private final List<Long> leases = new ArrayList<>();
        private int bigValues;
        private long lastRevision;

        Workload(Client client, Random random) {
            this.client = client;
            this.kv = client.getKVClient();
            this.random = random;
        }

        long lastRevision() {
            return lastRevision;
        }

        void run(int writes) throws Exception {
            for (int i = 0; i < writes; i++) {
                lastRevision = Math.max(lastRevision, once());
            }
        }

        private long once() throws Exception {
            int dice = random.nextInt(100);
            if (dice < 35 || live.isEmpty()) {
                String key = dice % 3 == 0 && !live.isEmpty() ? pick() : fresh();
                return put(key, value(random.nextInt(2000) + 1), PutOption.DEFAULT);
            }
            if (dice < 50) {
                String key = pick();
                live.remove(key);
                return kv.delete(bytes(key))
                        .get(30, TimeUnit.SECONDS)
                        .getHeader()
                        .getRevision();
            }
            if (dice < 65) {
                List<Op> ops = new ArrayList<>();
                java.util.Set<String> used = new java.util.HashSet<>();
                for (int n = 2 + random.nextInt(4); n > 0; n--) {
                    String key = random.nextBoolean() && !live.isEmpty() ? pick() : fresh();
                    if (!used.add(key)) {
                        continue;
                    }
                    if (random.nextInt(3) == 0 && live.contains(key)) {
                        live.remove(key);
                        ops.add(Op.delete(bytes(key), DeleteOption.DEFAULT));
                    } else {
                        live.remove(key);
                        live.add(key);
                        ops.add(Op.put(bytes(key), value(random.nextInt(4000) + 1), PutOption.DEFAULT));
                    }
                }
                var txn = kv.txn();
                txn.Then(ops.toArray(Op[]::new));
                return txn.commit().get(30, TimeUnit.SECONDS).getHeader().getRevision();
            }
            if (dice < 77) {
                if (leases.isEmpty() || random.nextInt(4) == 0) {
                    leases.add(client.getLeaseClient()
                            .grant(600)
                            .get(30, TimeUnit.SECONDS)
                            .getID());
                }
                long lease = leases.get(random.nextInt(leases.size()));
                return put(
                        fresh(),
                        value(100),
                        PutOption.builder().withLeaseId(lease).build());
            }
            if (dice < 82 && !leases.isEmpty()) {
                long lease = leases.remove(random.nextInt(leases.size()));
                client.getLeaseClient().revoke(lease).get(30, TimeUnit.SECONDS);
                refreshLive();
                return currentRevision();
            }
            if (dice < 86 && bigValues < 6) {
                bigValues++;
                return put(fresh(), value(1 << 20), PutOption.DEFAULT);
            }
            if (dice < 90) {
                String prefix = "/registry/ns-" + random.nextInt(5) + "/";
                long revision = kv.delete(
                                bytes(prefix),
                                DeleteOption.builder().isPrefix(true).build())
                        .get(30, TimeUnit.SECONDS)
                        .getHeader()
                        .getRevision();
                live.removeIf(k -> k.startsWith(prefix));
                return revision;
            }
            return put(pick(), value(random.nextInt(500) + 1), PutOption.DEFAULT);
        }

        private long put(String key, ByteSequence value, PutOption option) throws Exception {
            live.remove(key);
            live.add(key);
            return kv.put(bytes(key), value, option)
                    .get(30, TimeUnit.SECONDS)
                    .getHeader()
                    .getRevision();
        }

        private void refreshLive() throws Exception {
            live.clear();
            kv.get(ALL, GetOption.builder().withRange(ALL).withKeysOnly(true).build())
                    .get(30, TimeUnit.SECONDS)
                    .getKvs()
                    .forEach(k -> live.add(k.getKey().toString(StandardCharsets.UTF_8)));
        }

        private long currentRevision() throws Exception {
            return kv.get(
                            ALL,
                            GetOption.builder()
                                    .withRange(ALL)
                                    .withCountOnly(true)
                                    .build())
                    .get(30, TimeUnit.SECONDS)
                    .getHeader()
                    .getRevision();
        }

        private String pick() {
            return live.get(random.nextInt(live.size()));
        }

        private String fresh() {
            return "/registry/ns-" + random.nextInt(5) + "/obj-" + random.nextInt(1_000_000);
        }

        private ByteSequence value(int size) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            return ByteSequence.from(bytes);
        }

        private static ByteSequence bytes(String s) {
            return ByteSequence.from(s, StandardCharsets.UTF_8);
        }
    }
}
