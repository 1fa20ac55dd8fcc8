package io.etcdguardian.snapshot.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the suite (the name does not end in Test). Run it as the README says:
 * capture-to-S3 through the real service against `etcdctl snapshot save` to local disk, same etcd,
 * same run; and the service JVM's peak heap (run it with -Xmx128m to prove the bound).
 */
@Tag("benchmark")
@ExtendWith(BackplaneExtension.class)
class SnapshotBenchmark {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void captureToS3AgainstEtcdctl(Backplane backplane) throws Exception {
        long[] sizes = sizes();
        int runs = Integer.getInteger("bench.runs", 2);
        EtcdCluster etcd =
                EtcdCluster.plan(dir.resolve("etcd"), 1, 8L * 1024 * MIB).start();
        Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: bench
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: bench/ }
                """.formatted(
                etcd.endpoints().get(0), backplane.bucket(), backplane.s3().endpoint(), credentials));
        List<String> rows = new ArrayList<>();
        Map<String, Object> props = new java.util.HashMap<>(Map.of(
                "kafka.bootstrap.servers", backplane.kafka().bootstrapServers(),
                "guardian.fleet.file", fleet.toString(),
                "guardian.snapshot.group", "bench-" + System.nanoTime(),
                "guardian.snapshot.spool-dir", dir.resolve("spool").toString(),
                "guardian.snapshot.drill.enabled", "false"));
        // -Dguardian.snapshot.zstd-level=1 and the like try other settings
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("guardian.snapshot."))
                .forEach(k -> props.put(k, System.getProperty(k)));
        try (ApplicationContext context = ApplicationContext.run(props);
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                Client client =
                        Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
            fill(client, 16 * MIB);
            serviceRun(stream); // warm-up: JIT, connections
            for (long size : sizes) {
                fill(client, size);
                long dbSize = dbSize(etcd);
                double etcdctl = Double.MAX_VALUE;
                double service = Double.MAX_VALUE;
                double capture = Double.MAX_VALUE;
                long peakHeap = 0;
                SnapshotCompleted last = null;
                for (int run = 0; run < runs; run++) {
                    Path out = dir.resolve("etcdctl-" + run + ".db");
                    long t0 = System.nanoTime();
                    etcd.etcdctl("snapshot", "save", out.toString());
                    etcdctl = Math.min(etcdctl, (System.nanoTime() - t0) / 1e9);
                    Files.delete(out);

                    System.gc();
                    HeapSampler sampler = new HeapSampler();
                    long t1 = System.nanoTime();
                    last = serviceRun(stream);
                    service = Math.min(service, (System.nanoTime() - t1) / 1e9);
                    capture = Math.min(capture, last.captureMs() / 1e3);
                    peakHeap = Math.max(peakHeap, sampler.stop());
                }
                rows.add(String.format(
                        "%-10s %-9s %14.2f s %20.2f s %8.2fx %13.2f s %8.2fx %12.2f %12d MiB %10.0f MB/s",
                        human(size),
                        human(dbSize),
                        etcdctl,
                        service,
                        service / etcdctl,
                        capture,
                        capture / etcdctl,
                        (double) last.sizeStored() / last.sizeRaw(),
                        peakHeap / MIB,
                        last.sizeRaw() / service / 1e6));
            }
        } finally {
            etcd.stop();
        }
        System.out.printf(
                "%nsnapshot benchmark: 1-member etcd 3.4.23, S3Proxy (filesystem) on loopback, %d cores,"
                        + " -Xmx%d MiB, best of %d, overrides %s%n",
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() / MIB,
                runs,
                props.entrySet().stream()
                        .filter(e -> System.getProperty(e.getKey()) != null)
                        .toList());
        System.out.printf(
                "%-10s %-9s %16s %22s %9s %15s %9s %12s %16s %15s%n",
                "target",
                "db size",
                "etcdctl save",
                "guardian request->S3",
                "ratio",
                "etcd read txn",
                "ratio",
                "stored/raw",
                "peak heap",
                "end-to-end");
        rows.forEach(System.out::println);
        System.out.println();
    }

    private static long[] sizes() {
        String spec = System.getProperty("bench.sizes-mib", "256,1024");
        return java.util.Arrays.stream(spec.split(","))
                .mapToLong(s -> Long.parseLong(s.trim()) * MIB)
                .toArray();
    }

    private static SnapshotCompleted serviceRun(EventStream stream) {
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String id = stream.publish(
                            "/bench",
                            new BackupRequested("bench", Trigger.ON_DEMAND, "bench", "bench", null, Instant.now()))
                    .getId();
            GuardianEvent outcome = events.await(
                            e -> (e instanceof SnapshotCompleted c
                                            && c.requestId().equals(id))
                                    || (e instanceof SnapshotFailed f
                                            && f.requestId().equals(id)),
                            Duration.ofMinutes(10))
                    .orElseThrow();
            if (outcome instanceof SnapshotFailed f) {
                throw new AssertionError("snapshot failed: " + f.reason() + " " + f.detail());
            }
            return (SnapshotCompleted) outcome;
        }
    }

    /** Puts ~1 MiB values of JSON-like text (compressible about as much as Kubernetes objects) until the DB is that big. */
    private static void fill(Client client, long target) throws Exception {
        Random random = new Random(target);
        long written = client.getMaintenanceClient()
                .statusMember(client.getClusterClient()
                        .listMember()
                        .get()
                        .getMembers()
                        .get(0)
                        .getClientURIs()
                        .get(0)
                        .toString())
                .get()
                .getDbSize();
        int n = 0;
        List<CompletableFuture<?>> pending = new ArrayList<>();
        boolean incompressible = "random".equals(System.getProperty("bench.values"));
        while (written < target) {
            if (incompressible) { // base64 of random bytes: zstd ratio ~0.75, like Secrets encrypted at rest
                byte[] raw = new byte[768 * 1024];
                random.nextBytes(raw);
                byte[] encoded = java.util.Base64.getEncoder().encode(raw);
                pending.add(client.getKVClient()
                        .put(
                                ByteSequence.from("/bench/" + target + "/" + n++, StandardCharsets.UTF_8),
                                ByteSequence.from(encoded)));
                written += encoded.length;
                if (pending.size() == 8) {
                    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                            .get();
                    pending.clear();
                }
                continue;
            }
            StringBuilder value = new StringBuilder((int) MIB);
            while (value.length() < MIB - 400) {
                value.append("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-")
                        .append(Long.toHexString(random.nextLong()))
                        .append("\",\"namespace\":\"ns-")
                        .append(random.nextInt(50))
                        .append("\",\"uid\":\"")
                        .append(new java.util.UUID(random.nextLong(), random.nextLong()))
                        .append("\",\"resourceVersion\":\"")
                        .append(random.nextInt(1 << 30))
                        .append("\"},\"data\":{\"key\":\"")
                        .append(Long.toString(random.nextLong(), 36))
                        .append(Long.toString(random.nextLong(), 36))
                        .append("\"}}\n");
            }
            pending.add(client.getKVClient()
                    .put(
                            ByteSequence.from("/bench/" + target + "/" + n++, StandardCharsets.UTF_8),
                            ByteSequence.from(value.toString(), StandardCharsets.UTF_8)));
            written += value.length();
            if (pending.size() == 8) {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                        .get();
                pending.clear();
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
    }

    private static long dbSize(EtcdCluster etcd) {
        String json = etcd.etcdctl("endpoint", "status", "-w", "json");
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\"dbSize\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Samples the heap in use every 5 ms on a daemon thread; garbage not yet collected counts too. */
    private static final class HeapSampler {
        private volatile boolean running = true;
        private volatile long max;
        private final Thread thread;

        HeapSampler() {
            thread = new Thread(
                    () -> {
                        while (running) {
                            max = Math.max(
                                    max,
                                    ManagementFactory.getMemoryMXBean()
                                            .getHeapMemoryUsage()
                                            .getUsed());
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        long stop() throws InterruptedException {
            running = false;
            thread.join();
            return max;
        }
    }

    private static String human(long bytes) {
        return bytes >= 1024 * MIB ? String.format("%.2f GiB", bytes / (1024.0 * MIB)) : (bytes / MIB) + " MiB";
    }
}
