package io.etcdguardian.health;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.health.watch.EtcdMetrics;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micronaut.context.ApplicationContext;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the suite; run it as the README says. (1) From NOSPACE raised to writes accepted
 * again: health-service on its own against an operator typing the runbook's etcdctl commands
 * (compact, defrag ×3 with the leader last, disarm) typed back to back, the service with its default
 * settling (a condition, at most 60 s), alternating, on
 * two identical real 3-member clusters. (2) What watching costs: N clusters × 3 members polled at
 * an interval for a while (the members are one real etcd cluster behind N cluster ids, each id with
 * its own clients), CPU and heap of this JVM.
 */
@Tag("benchmark")
@ExtendWith(BackplaneExtension.class)
class HealthBenchmark {
    @TempDir
    Path dir;

    @Test
    void nospaceToWritableAndTheCostOfWatching(Backplane backplane) throws Exception {
        long quota = Long.getLong("bench.quota-mib", 64) << 20;
        int runs = Integer.getInteger("bench.runs", 2);
        // the service with its defaults (settling is a condition, at most settle=60s) against an operator typing
        // the runbook's commands back to back (bench.runbook-settle pauses between members, none by default)
        Duration settle = Duration.parse("PT" + System.getProperty("bench.settle", "60s"));
        Duration runbookSettle = Duration.parse("PT" + System.getProperty("bench.runbook-settle", "0s"));
        Duration poll = Duration.parse("PT" + System.getProperty("bench.poll", "1s"));
        int clusters = Integer.getInteger("bench.clusters", 300);
        Duration watchInterval = Duration.parse("PT" + System.getProperty("bench.watch-interval", "10s"));
        Duration watchFor = Duration.parse("PT" + System.getProperty("bench.watch-for", "60s"));

        EtcdCluster manual = EtcdCluster.plan(dir.resolve("manual"), 3, quota).start();
        EtcdCluster healed = EtcdCluster.plan(dir.resolve("healed"), 3, quota).start();
        List<Long> manualMs = new ArrayList<>();
        List<Long> serviceMs = new ArrayList<>();
        try {
            String cluster = "bench-heal-" + UUID.randomUUID().toString().substring(0, 6);
            try (ApplicationContext health = HealthServiceUnderTest.start(
                            backplane,
                            dir,
                            cluster,
                            healed,
                            ", quotaBackendBytes: " + quota,
                            Map.of(
                                    "guardian.health.poll-interval",
                                    poll.toMillis() + "ms",
                                    "guardian.health.settle",
                                    settle.toMillis() + "ms",
                                    // only NOSPACE may trigger: the quota rule would otherwise heal before the alarm
                                    "guardian.health.defrag-max-quota-use",
                                    "1.0"));
                    Client manualClient = client(manual);
                    Client healedClient = client(healed)) {
                for (int run = 0; run < runs; run++) {
                    manualMs.add(manualRunbook(manual, manualClient, runbookSettle));
                    serviceMs.add(untilWritable(healedClient, fill(healedClient)));
                }
            }
            System.out.printf(
                    "%nhealth benchmark, %d cores: NOSPACE raised -> writes accepted, 3 members, quota %d MiB,"
                            + " service settle at most %s (a condition), runbook pause %s, watcher poll %s%n",
                    Runtime.getRuntime().availableProcessors(), quota >> 20, settle, runbookSettle, poll);
            System.out.printf(
                    "manual etcdctl runbook (compact, defrag x3 leader last, disarm): %s ms, best %d ms%n",
                    manualMs, manualMs.stream().mapToLong(Long::longValue).min().orElse(-1));
            System.out.printf(
                    "health-service on its own (detect, compact, defrag x3 with move-leader, disarm): %s ms,"
                            + " best %d ms%n",
                    serviceMs,
                    serviceMs.stream().mapToLong(Long::longValue).min().orElse(-1));

            watchCost(backplane, manual, clusters, watchInterval, watchFor);
        } finally {
            manual.stop();
            healed.stop();
        }
    }

    /** The runbook by hand; the clock starts when the write that raises NOSPACE fails. */
    private static long manualRunbook(EtcdCluster etcd, Client client, Duration settle) throws Exception {
        long start = fill(client);
        String all = "--endpoints=" + String.join(",", etcd.endpoints());
        Matcher revision =
                Pattern.compile("\"revision\":(\\d+)").matcher(etcdctl(all, "endpoint", "status", "-w", "json"));
        long max = 0;
        while (revision.find()) {
            max = Math.max(max, Long.parseLong(revision.group(1)));
        }
        etcdctl(all, "compact", Long.toString(max), "--physical");
        String leader = leader(etcd);
        List<String> order = new ArrayList<>(etcd.endpoints());
        order.remove(leader);
        order.add(leader);
        for (String endpoint : order) {
            etcdctl("--endpoints=" + endpoint, "--command-timeout=120s", "defrag");
            Thread.sleep(settle.toMillis());
        }
        etcdctl(all, "alarm", "disarm");
        return untilWritable(client, start);
    }

    private static long untilWritable(Client client, long since) throws InterruptedException {
        while (true) {
            try {
                client.getKVClient().put(bytes("/bench/probe"), bytes("x")).get(5, TimeUnit.SECONDS);
                return (System.nanoTime() - since) / 1_000_000;
            } catch (Exception refused) {
                Thread.sleep(20);
            }
        }
    }

    /** Overwrites a few keys with 256 KiB values until etcd refuses; returns when it refused (nanoTime). */
    private static long fill(Client client) {
        byte[] value = new byte[256 * 1024];
        for (int i = 0; ; i++) {
            value[i % value.length] = (byte) i;
            try {
                client.getKVClient()
                        .put(bytes("/fill/" + (i % 4)), ByteSequence.from(value))
                        .get();
            } catch (Exception e) {
                if (String.valueOf(e.getMessage()).contains("database space exceeded")) {
                    return System.nanoTime();
                }
                throw new IllegalStateException(e);
            }
        }
    }

    private void watchCost(Backplane backplane, EtcdCluster etcd, int clusters, Duration interval, Duration duration)
            throws Exception {
        StringBuilder fleet = new StringBuilder(
                "defaults:\n  etcd: { endpoints: [" + String.join(", ", etcd.endpoints()) + "], pollInterval: "
                        + interval.toSeconds() + "s }\n  store: { bucket: etcd-snapshots }\nclusters:\n");
        String run = UUID.randomUUID().toString().substring(0, 6);
        for (int i = 0; i < clusters; i++) {
            fleet.append("  - id: w").append(run).append('-').append(i).append('\n');
        }
        Path file = Files.writeString(dir.resolve("watch-fleet.yaml"), fleet);
        try (ApplicationContext health = ApplicationContext.run(Map.of(
                "kafka.bootstrap.servers",
                backplane.kafka().bootstrapServers(),
                "guardian.fleet.file",
                file.toString(),
                "guardian.fleet.topic.enabled",
                "false",
                "guardian.health.group",
                "bench-watch-" + run,
                "guardian.health.snapshot-first",
                "false"))) {
            EtcdMetrics metrics = health.getBean(EtcdMetrics.class);
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> metrics.clusters().size() == clusters);
            System.gc();
            long cpuBefore = cpuNanos();
            long pollsBefore = metrics.polls().count();
            long heapPeak = 0;
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end) {
                heapPeak = Math.max(
                        heapPeak,
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                Thread.sleep(200);
            }
            double cpu = (cpuNanos() - cpuBefore) / 1e9 / duration.toSeconds();
            long polls = metrics.polls().count() - pollsBefore;
            System.gc();
            long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            Timer timer = metrics.polls();
            double p99 = -1;
            for (ValueAtPercentile v : timer.takeSnapshot().percentileValues()) {
                if (v.percentile() == 0.99) {
                    p99 = v.value(TimeUnit.MILLISECONDS);
                }
            }
            System.out.printf(
                    "watching %d clusters x %d members every %s for %s: %d cluster polls (expected about %d),"
                            + " poll p99 %.0f ms; process CPU %.1f%% of one core; heap peak %d MiB, live after GC %d MiB,"
                            + " threads %d%n%n",
                    clusters,
                    etcd.endpoints().size(),
                    interval,
                    duration,
                    polls,
                    clusters * duration.toSeconds() / interval.toSeconds(),
                    p99,
                    cpu * 100,
                    heapPeak >> 20,
                    live >> 20,
                    Thread.activeCount());
        }
    }

    private static String etcdctl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(io.etcdguardian.localetcd.EtcdBinaries.etcdctl().toString());
        command.addAll(List.of(args));
        return io.etcdguardian.localetcd.Etcdctl.run(command);
    }

    private static String leader(EtcdCluster etcd) {
        for (String endpoint : etcd.endpoints()) {
            String status = etcdctl("--endpoints=" + endpoint, "endpoint", "status", "-w", "fields");
            Matcher id = Pattern.compile("\"MemberID\" : (\\d+)").matcher(status);
            Matcher leader = Pattern.compile("\"Leader\" : (\\d+)").matcher(status);
            if (id.find() && leader.find() && id.group(1).equals(leader.group(1))) {
                return endpoint;
            }
        }
        throw new IllegalStateException("no leader");
    }

    private static Client client(EtcdCluster etcd) {
        return Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build();
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text.getBytes());
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
