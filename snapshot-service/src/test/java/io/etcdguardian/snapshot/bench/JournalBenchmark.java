package io.etcdguardian.snapshot.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.ForkedService;
import io.etcdguardian.backplane.usage.ForkedUsage;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.JournalSegmentCommitted;
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
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's numbers, all real processes on this machine, one run: (a) the recovery point — from a
 * write acknowledged by etcd to its segment committed in S3 — at 100 and 1,000 writes/s; (b) what the
 * journal costs: the service's CPU and heap while it journals, and etcd's put latency with and without
 * the watch; (c) a point-in-time restore from a snapshot plus a journal: restoring the snapshot alone
 * against replaying the journal onto it, and the service's point-in-time snapshot from request to commit.
 * Sizes: {@code -Dbench.base-mib} (256), {@code -Dbench.journal-mib} (128), {@code -Dbench.seconds} (20).
 */
@Tag("benchmark")
@ExtendWith(BackplaneExtension.class)
class JournalBenchmark {
    private static final long MIB = 1 << 20;
    private static final String CLUSTER = "jbench";

    @TempDir
    Path dir;

    @Test
    void recoveryPointCostAndReplay(Backplane backplane) throws Exception {
        int seconds = Integer.getInteger("bench.seconds", 20);
        long baseBytes = Long.getLong("bench.base-mib", 256) * MIB;
        long journalBytes = Long.getLong("bench.journal-mib", 128) * MIB;
        EtcdCluster etcd =
                EtcdCluster.plan(dir.resolve("etcd"), 1, 8L * 1024 * MIB).start();
        Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
        String fleetYaml = """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: jbench-%d/ }
                """.formatted(
                        CLUSTER,
                        etcd.endpoints().get(0),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials,
                        System.nanoTime());
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), fleetYaml);
        ClusterSpec cluster = FleetParser.parseDocument(fleetYaml).clusters().get(CLUSTER);
        SnapshotStores stores = new SnapshotStores(new S3Clients());
        EncryptionKeys keys = new EncryptionKeys(new KubernetesClients(""));
        JournalStore journal = new JournalStore(stores, keys);
        SnapshotCatalog catalog = new SnapshotCatalog(stores);
        List<String> out = new ArrayList<>();
        try (Client client = Client.builder()
                        .endpoints(etcd.endpoints().get(0))
                        .maxInboundMessageSize(64 << 20)
                        .build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
            // etcd's put latency before any watch (after a warm-up of the client)
            Load.run(client, 1000, 3, 256);
            Load quiet = Load.run(client, 1000, seconds, 256);
            Path serviceGcLog = dir.resolve("service.gc.log");
            Process service = ForkedService.start(
                    "io.etcdguardian.snapshot.Application",
                    Map.of(
                            "micronaut.server.port",
                            -1,
                            "kafka.bootstrap.servers",
                            backplane.kafka().bootstrapServers(),
                            "guardian.fleet.file",
                            fleet.toString(),
                            "guardian.snapshot.group",
                            "jbench-" + System.nanoTime(),
                            "guardian.snapshot.spool-dir",
                            dir.resolve("spool").toString(),
                            "guardian.snapshot.drill.enabled",
                            "false",
                            "guardian.snapshot.drill-after-capture-max-bytes",
                            "0",
                            "guardian.journal.enabled",
                            "true"),
                    // kept after the run for a post-mortem
                    Path.of("target", "journal-benchmark-service.log").toAbsolutePath(),
                    List.of("-Xmx256m", ForkedUsage.gcLogOption(serviceGcLog)));
            try (EventStream.Follower segments = follow(stream)) {
                snapshot(
                        stream,
                        BackupRequested.class.cast(new BackupRequested(
                                CLUSTER, Trigger.ON_DEMAND, "bench", "bench", null, Instant.now())));
                Load.run(client, 100, 3, 256); // warm-up: the writer's JIT
                out.add(String.format(
                        "%-34s %10s %10s %10s %10s %12s %12s%n",
                        "load", "writes/s", "RPO p50", "RPO p99", "RPO max", "put p50", "put p99"));
                out.add(quiet.row("no journal (etcd alone)", null));
                for (int rate : new int[] {100, 1000}) {
                    ForkedUsage usage = new ForkedUsage(service, serviceGcLog);
                    Load load = Load.run(client, rate, seconds, 256);
                    ForkedUsage.Taken taken = usage.stop();
                    Map<Long, Instant> committed = awaitCommitted(segments, load.lastRevision());
                    out.add(load.row("journal on, " + rate + " writes/s", committed));
                    out.add(String.format(
                            "  writer: %.2f CPU-s over %d s (%.1f %% of a core), heap peak %d MiB, %d threads%n",
                            taken.cpuSeconds(),
                            seconds,
                            100 * taken.cpuSeconds() / seconds,
                            taken.peakHeap() / MIB,
                            taken.peakThreads()));
                }

                // (c) a base snapshot, then a journal on top of it
                fill(client, baseBytes, "base");
                SnapshotManifest base = catalog.require(
                        cluster,
                        snapshot(
                                        stream,
                                        new BackupRequested(
                                                CLUSTER, Trigger.ON_DEMAND, "bench", "bench", null, Instant.now()))
                                .snapshotId());
                long t0 = System.nanoTime();
                long last = fill(client, journalBytes, "journal");
                double written = (System.nanoTime() - t0) / 1e9;
                awaitCommitted(segments, last);
                List<JournalKeys.Range> ranges = journal.segments(cluster, JournalEpoch.FIRST);

                Path scratch = dir.resolve("scratch");
                Files.createDirectories(scratch);
                long r0 = System.nanoTime();
                Path db = new SnapshotFetcher(stores, keys).fetch(cluster, base, scratch.resolve("base.db"));
                EtcdCluster restored = EtcdCluster.plan(scratch.resolve("etcd"), 1, 0)
                        .withBinaries(EtcdBinaries.dirFor(base.etcdVersion()))
                        .withFlags(io.etcdguardian.snapshot.journal.PointInTimeMaterializer.scratchFlags(
                                base.etcdVersion()));
                restored.restoreFrom(db, List.of());
                restored.start();
                double restoreAlone = (System.nanoTime() - r0) / 1e9;
                long replayed = 0;
                long bytes;
                long r1 = System.nanoTime();
                try (JournalReplay replay =
                        JournalReplay.open(restored.endpoints().get(0))) {
                    for (JournalKeys.Range range : ranges) {
                        if (range.to() <= base.revision()) {
                            continue;
                        }
                        for (JournalRevision r :
                                journal.read(cluster, journal.manifest(cluster, JournalEpoch.FIRST, range))) {
                            if (r.revision() > base.revision() && r.revision() <= last) {
                                replay.apply(r);
                                replayed++;
                            }
                        }
                    }
                    bytes = replay.bytes();
                } finally {
                    restored.stop();
                }
                double replaySeconds = (System.nanoTime() - r1) / 1e9;
                long p0 = System.nanoTime();
                SnapshotCompleted pit =
                        snapshot(stream, BackupRequested.pointInTime(CLUSTER, last, null, "bench", "bench"));
                double pitSeconds = (System.nanoTime() - p0) / 1e9;
                out.add(String.format(
                        "%nrestore to a revision: snapshot %s (%d MiB, revision %d) + journal of %d revisions,"
                                + " %d MiB of keys and values (written in %.1f s, %.1f MB/s)%n",
                        base.snapshotId(),
                        base.sizeRaw() / MIB,
                        base.revision(),
                        replayed,
                        bytes / MIB,
                        written,
                        bytes / written / 1e6));
                out.add(String.format("  snapshot alone (fetch, etcdutl restore, start):  %7.2f s%n", restoreAlone));
                out.add(String.format(
                        "  journal replay onto it:                          %7.2f s  (%.1f MB/s, %.0f revisions/s)%n",
                        replaySeconds, bytes / replaySeconds / 1e6, replayed / replaySeconds));
                out.add(String.format(
                        "  service, point-in-time snapshot request->commit: %7.2f s  (revision %d, %d MiB)%n",
                        pitSeconds, pit.revision(), pit.sizeRaw() / MIB));
            } finally {
                ForkedService.stop(service);
            }
        } finally {
            etcd.stop();
        }
        System.out.printf(
                "%njournal benchmark: 1-member etcd, S3Proxy, Kafka, snapshot-service in its own JVM (-Xmx256m),"
                        + " %d cores, %d s per load, segment-interval 2s%n",
                Runtime.getRuntime().availableProcessors(), seconds);
        out.forEach(System.out::print);
        System.out.println();
    }

    private static EventStream.Follower follow(EventStream stream) {
        // the topic exists once the service has started: wait for it
        for (int i = 0; ; i++) {
            try {
                return stream.follow(Topics.SNAPSHOT_EVENTS);
            } catch (RuntimeException notYet) {
                if (i > 120) {
                    throw notYet;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw notYet;
                }
            }
        }
    }

    /** Commit time of every revision up to {@code last}, from the segment-committed events. */
    private final Map<Long, Instant> commits = new ConcurrentHashMap<>();

    private Map<Long, Instant> awaitCommitted(EventStream.Follower segments, long last) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (commits.keySet().stream().mapToLong(Long::longValue).max().orElse(0) < last) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("revision " + last + " not committed to the journal");
            }
            segments.await(
                    e -> {
                        if (e instanceof JournalSegmentCommitted c) {
                            for (long r = c.fromRevision(); r <= c.toRevision(); r++) {
                                commits.put(r, c.at());
                            }
                        }
                        return false;
                    },
                    Duration.ofSeconds(1));
        }
        return commits;
    }

    private static SnapshotCompleted snapshot(EventStream stream, BackupRequested request) {
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String id = stream.publish("/bench", request).getId();
            GuardianEvent outcome = events.await(
                            e -> (e instanceof SnapshotCompleted c
                                            && c.requestId().equals(id))
                                    || (e instanceof SnapshotFailed f
                                            && f.requestId().equals(id)),
                            Duration.ofMinutes(15))
                    .orElseThrow();
            if (outcome instanceof SnapshotFailed f) {
                throw new AssertionError("snapshot failed: " + f.reason() + " " + f.detail());
            }
            return (SnapshotCompleted) outcome;
        }
    }

    /** Puts 100 KiB random values until {@code bytes} are written; returns the last revision. */
    private static long fill(Client client, long bytes, String prefix) throws Exception {
        Random random = new Random(bytes);
        byte[] value = new byte[100 * 1024];
        List<CompletableFuture<io.etcd.jetcd.kv.PutResponse>> pending = new ArrayList<>();
        long last = 0;
        for (long written = 0, n = 0; written < bytes; written += value.length, n++) {
            random.nextBytes(value);
            pending.add(client.getKVClient()
                    .put(
                            ByteSequence.from("/fill/" + prefix + "/" + n, StandardCharsets.UTF_8),
                            ByteSequence.from(value.clone())));
            if (pending.size() == 16) {
                for (var p : pending) {
                    last = Math.max(last, p.get().getHeader().getRevision());
                }
                pending.clear();
            }
        }
        for (var p : pending) {
            last = Math.max(last, p.get().getHeader().getRevision());
        }
        return last;
    }

    /** Puts at a fixed rate for a while: each put's latency and when etcd acknowledged its revision. */
    private record Load(int rate, int seconds, List<Long> latenciesNanos, Map<Long, Instant> acked, double achieved) {
        static Load run(Client client, int rate, int seconds, int valueBytes) throws Exception {
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            Map<Long, Instant> acked = new ConcurrentHashMap<>();
            byte[] value = new byte[valueBytes];
            new Random(rate).nextBytes(value);
            ByteSequence v = ByteSequence.from(value);
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            List<CompletableFuture<?>> all = Collections.synchronizedList(new ArrayList<>());
            long periodMicros = 1_000_000L / rate;
            long total = (long) rate * seconds;
            java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
            long start = System.nanoTime();
            var task = ticker.scheduleAtFixedRate(
                    () -> {
                        long i = sent.getAndIncrement();
                        if (i >= total) {
                            return;
                        }
                        long t0 = System.nanoTime();
                        all.add(client.getKVClient()
                                .put(ByteSequence.from("/load/" + rate + "/" + (i % 5000), StandardCharsets.UTF_8), v)
                                .thenAccept(r -> {
                                    latencies.add(System.nanoTime() - t0);
                                    acked.put(r.getHeader().getRevision(), Instant.now());
                                }));
                    },
                    0,
                    periodMicros,
                    TimeUnit.MICROSECONDS);
            while (sent.get() < total) {
                Thread.sleep(50); // the ticker paces the load; this only waits for it to have sent all
            }
            task.cancel(false);
            ticker.shutdown();
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            double took = (System.nanoTime() - start) / 1e9;
            return new Load(rate, seconds, latencies, acked, total / took);
        }

        long lastRevision() {
            return acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        }

        String row(String name, Map<Long, Instant> committed) {
            List<Long> put = new ArrayList<>(latenciesNanos);
            Collections.sort(put);
            String rpo50 = "-";
            String rpo99 = "-";
            String rpoMax = "-";
            if (committed != null) {
                List<Long> rpo = new ArrayList<>();
                acked.forEach((revision, at) -> {
                    Instant c = committed.get(revision);
                    if (c != null) {
                        rpo.add(Math.max(0, Duration.between(at, c).toMillis()));
                    }
                });
                Collections.sort(rpo);
                rpo50 = String.format("%.2f s", pct(rpo, 50) / 1000.0);
                rpo99 = String.format("%.2f s", pct(rpo, 99) / 1000.0);
                rpoMax = String.format("%.2f s", rpo.get(rpo.size() - 1) / 1000.0);
            }
            return String.format(
                    "%-34s %10.0f %10s %10s %10s %9.2f ms %9.2f ms%n",
                    name, achieved, rpo50, rpo99, rpoMax, pct(put, 50) / 1e6, pct(put, 99) / 1e6);
        }

        private static double pct(List<Long> sorted, int p) {
            return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
        }
    }
}
