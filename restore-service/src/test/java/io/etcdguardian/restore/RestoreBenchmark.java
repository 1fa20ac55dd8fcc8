package io.etcdguardian.restore;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.ForkedService;
import io.etcdguardian.backplane.usage.ForkedUsage;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the suite; run it as the README says. Restoring a snapshot of N MiB into a local
 * 3-member cluster: by hand (stop, `etcdctl snapshot restore` ×3, start, wait healthy) against
 * restore-service (request → fetch from S3 and check → stop → restore ×3 → start → verify revision
 * and keys → COMPLETED), alternating, same cluster, same run. With {@code -Dbench.service-heap=384m}
 * the service runs in its own JVM with that heap and the chart's collector, and its peak heap,
 * resident memory, threads and CPU during each restore are printed: what its memory limit must hold.
 */
@Tag("benchmark")
@ExtendWith(BackplaneExtension.class)
class RestoreBenchmark {
    @TempDir
    Path dir;

    @Test
    void restoreBySeviceAgainstByHand(Backplane backplane) throws Exception {
        int mib = Integer.getInteger("bench.size-mib", 1024);
        int runs = Integer.getInteger("bench.runs", 2);
        String cluster = "bench-restore-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 8L << 30).start();
        List<Long> manual = new ArrayList<>();
        List<Long> service = new ArrayList<>();
        List<String> usages = new ArrayList<>();
        try {
            fill(etcd, mib);
            SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
            Path file = dir.resolve("by-hand.db");
            Files.write(
                    file,
                    backplane
                            .s3()
                            .client()
                            .getObjectAsBytes(b -> b.bucket(backplane.bucket()).key(snapshot.objectKey()))
                            .asByteArray());
            Path fleet = RestoreServiceUnderTest.localFleet(backplane, dir, cluster, etcd);
            Map<String, String> settings =
                    new HashMap<>(RestoreServiceUnderTest.settings(backplane, fleet, dir, "bench-" + cluster));
            settings.put("guardian.restore.keep-old-data", "false");
            String heap = System.getProperty("bench.service-heap", "").trim();
            Path gcLog = dir.resolve("restore-service.gc.log");
            Process forked = heap.isEmpty() ? null : fork(settings, heap, gcLog);
            try (ApplicationContext context = forked == null ? RestoreServiceUnderTest.start(settings) : null;
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
                for (int run = 0; run < runs; run++) {
                    long start = System.nanoTime();
                    EtcdCluster current = EtcdCluster.load(etcd.dir());
                    current.stop();
                    EtcdCluster byHand = current.withToken("by-hand-" + run);
                    byHand.restoreFrom(file, List.of());
                    byHand.start();
                    manual.add((System.nanoTime() - start) / 1_000_000);

                    ForkedUsage usage = forked == null ? null : new ForkedUsage(forked, gcLog);
                    start = System.nanoTime();
                    String id = RestoreServiceUnderTest.applyPlan(
                            stream,
                            events,
                            new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "bench"));
                    RestoreProgress end = (RestoreProgress) events.await(
                                    e -> e instanceof RestoreProgress p
                                            && p.restoreId().equals(id)
                                            && p.step().equals("restore"),
                                    Duration.ofMinutes(30))
                            .orElseThrow();
                    if (end.status() != ProgressStatus.COMPLETED) {
                        throw new AssertionError(end.detail());
                    }
                    service.add((System.nanoTime() - start) / 1_000_000);
                    if (usage != null) {
                        ForkedUsage.Taken used = usage.stop();
                        usages.add(String.format(
                                "run %d: heap peak %d MiB, resident anonymous peak %d MiB, %d threads, %.1f CPU-s;"
                                        + " by thread: %s",
                                run + 1,
                                used.peakHeap() >> 20,
                                used.peakAnonymous() >> 20,
                                used.peakThreads(),
                                used.cpuSeconds(),
                                used.byThread()));
                    }
                }
            } finally {
                if (forked != null) {
                    ForkedService.stop(forked);
                }
            }
            double best =
                    (double) service.stream().mapToLong(Long::longValue).min().orElse(0)
                            / manual.stream().mapToLong(Long::longValue).min().orElse(1);
            System.out.printf(
                    "%nrestore benchmark, %d cores: snapshot %d MiB (revision %d, %d keys), 3 local members%n",
                    Runtime.getRuntime().availableProcessors(),
                    snapshot.sizeRaw() >> 20,
                    snapshot.revision(),
                    snapshot.liveKeys());
            System.out.printf("by hand (stop, etcdctl snapshot restore x3, start, healthy): %s ms%n", manual);
            System.out.printf(
                    "restore-service (request -> fetch+check from S3 -> ... -> verified COMPLETED): %s ms;"
                            + " best/best %.2fx%n%n",
                    service, best);
            if (!usages.isEmpty()) {
                System.out.printf(
                        "restore-service in its own JVM, -Xmx%s -XX:+UseSerialGC (as the chart runs it):%n", heap);
                usages.forEach(System.out::println);
                System.out.println();
            }
        } finally {
            EtcdCluster.load(etcd.dir()).stop();
        }
    }

    /** restore-service as the chart runs it: its own JVM, Serial, with a GC log the usage is read from. */
    private static Process fork(Map<String, String> settings, String heap, Path gcLog) throws IOException {
        return RestoreServiceUnderTest.fork(
                settings,
                gcLog.resolveSibling("restore-service.log"),
                List.of("-Xmx" + heap, "-XX:+UseSerialGC", ForkedUsage.gcLogOption(gcLog)));
    }

    /** Distinct keys of 8 KiB incompressible values until the database holds about {@code mib} MiB. */
    private static void fill(EtcdCluster etcd, int mib) throws Exception {
        byte[] value = new byte[8192];
        try (Client client = Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build()) {
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (long i = 0; i < (long) mib * 128; i++) {
                ThreadLocalRandom.current().nextBytes(value);
                puts.add(client.getKVClient()
                        .put(ByteSequence.from(("/bench/" + i).getBytes()), ByteSequence.from(value)));
                if (puts.size() == 256) {
                    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new))
                            .get();
                    puts.clear();
                }
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get();
        }
    }
}
