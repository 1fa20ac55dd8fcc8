package io.etcdguardian.snapshot.bench;

import com.sun.management.OperatingSystemMXBean;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.ForkedService;
import io.etcdguardian.backplane.usage.ForkedUsage;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.security.CallerTokens;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the suite. A fleet on one replica, all real processes: {@code bench.etcds} (40)
 * single-member etcds of {@code bench.min-mib}..{@code bench.max-mib} (32..64) MiB of random
 * base64 values (incompressible, like encrypted Secrets), and {@code bench.fleet} (1,000) cluster
 * ids in the fleet — the rest pointing at the same etcds — for the catalogue. Same run: (a) all
 * etcds requested at once against the same requests one at a time (one stream through the
 * pipeline); (b) the same with one etcd SIGSTOPped; (c) the fleet catalogue of every id, rebuilt,
 * then read as {@code status --fleet} reads it; (d) the fixed cost of a small snapshot; (e) heap,
 * threads and CPU of the replica. Run it as the README says.
 */
@Tag("benchmark")
@ExtendWith(BackplaneExtension.class)
class FleetBenchmark {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void fleetOnOneReplica(Backplane backplane) throws Exception {
        int etcds = Integer.getInteger("bench.etcds", 40);
        int fleetSize = Math.max(etcds + 1, Integer.getInteger("bench.fleet", 1000));
        long minBytes = Long.getLong("bench.min-mib", 32) * MIB;
        long maxBytes = Long.getLong("bench.max-mib", 64) * MIB;
        List<String> out = new ArrayList<>();
        List<EtcdCluster> clusters = new ArrayList<>();
        ExecutorService fillers = Executors.newFixedThreadPool(2);
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i <= etcds; i++) { // the last one stays small: the fixed-cost probe
                clusters.add(EtcdCluster.plan(dir.resolve("etcd-" + i), 1, 2048 * MIB)
                        .start());
            }
            Random sizes = new Random(42);
            long total = 0;
            List<CompletableFuture<?>> filled = new ArrayList<>();
            for (int i = 0; i < etcds; i++) {
                long size = minBytes + (long) (sizes.nextDouble() * (maxBytes - minBytes));
                total += size;
                String endpoint = clusters.get(i).endpoints().get(0);
                int seed = i;
                filled.add(CompletableFuture.runAsync(() -> fill(endpoint, size, seed), fillers));
            }
            CompletableFuture.allOf(filled.toArray(CompletableFuture[]::new)).join();
            out.add(String.format(
                    "setup: %d etcds started and filled with %.0f MiB of random base64 values in %.0f s",
                    etcds, total / (double) MIB, (System.nanoTime() - t0) / 1e9));

            Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
            StringBuilder fleet = new StringBuilder(
                    """
                    defaults:
                      store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: fleet-bench/ }
                      # the scheduler computes every cluster's next slot; none falls in the run
                      schedule: { cron: "0 0 1 1 *", timezone: UTC }
                    clusters:
                    """.formatted(backplane.bucket(), backplane.s3().endpoint(), credentials));
            for (int i = 0; i < fleetSize; i++) {
                String endpoint = clusters.get(i < etcds ? i : i % (etcds + 1))
                        .endpoints()
                        .get(0);
                fleet.append("  - { id: ")
                        .append(id(i))
                        .append(", etcd: { endpoints: [")
                        .append(endpoint)
                        .append("] } }\n");
            }
            Path fleetFile = Files.writeString(dir.resolve("fleet.yaml"), fleet.toString());
            Path tokens = dir.resolve("tokens");
            String token =
                    CallerTokens.writeFile(tokens, Map.of("bench", Roles.ALL)).get("bench");
            Map<String, Object> props = new HashMap<>();
            props.put("micronaut.server.port", -1);
            props.put("kafka.bootstrap.servers", backplane.kafka().bootstrapServers());
            props.put("guardian.fleet.file", fleetFile.toString());
            props.put("guardian.snapshot.group", "fleet-bench-" + System.nanoTime());
            props.put("guardian.snapshot.spool-dir", dir.resolve("spool").toString());
            props.put("guardian.snapshot.drill.enabled", "false");
            props.put("guardian.security.tokens-file", tokens.toString());
            System.getProperties().stringPropertyNames().stream()
                    .filter(k -> k.startsWith("guardian.snapshot."))
                    .forEach(k -> props.put(k, System.getProperty(k)));
            // the scheduler and the health watch beside it, on the same 1,000 clusters, when their jars are built
            List<Neighbour> neighbours = Boolean.parseBoolean(System.getProperty("bench.neighbours", "true"))
                    ? Neighbour.startAll(backplane, fleetFile, tokens, dir)
                    : List.of();
            try (ApplicationContext context =
                            ApplicationContext.run(EmbeddedServer.class, props).getApplicationContext();
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
                URI base = context.getBean(EmbeddedServer.class).getURI();
                String small = id(etcds);
                List<String> big = new ArrayList<>();
                for (int i = 0; i < etcds; i++) {
                    big.add(id(i));
                }
                requestAll(stream, List.of(small), Set.of()); // warm-up: JIT, clients, connections

                // one stream: the same requests one after another
                long seq0 = System.nanoTime();
                for (String cluster : big) {
                    requestAll(stream, List.of(cluster), Set.of());
                }
                double oneStream = (System.nanoTime() - seq0) / 1e9;

                // (a) all at once
                Usage usage = new Usage();
                List<ForkedUsage> besides = neighbours.stream()
                        .map(n -> new ForkedUsage(n.process(), n.gcLog()))
                        .toList();
                long par0 = System.nanoTime();
                Map<String, Double> parallel = requestAll(stream, big, Set.of());
                double allAtOnce = (System.nanoTime() - par0) / 1e9;
                Usage.Taken used = usage.stop();
                List<ForkedUsage.Taken> besideTaken = new ArrayList<>();
                for (ForkedUsage beside : besides) {
                    besideTaken.add(beside.stop());
                }

                // (b) one etcd frozen: the others finish as before
                clusters.get(0).signalMember(0, "STOP");
                Map<String, Double> others;
                try {
                    others = requestAll(stream, big, Set.of(big.get(0)));
                } finally {
                    clusters.get(0).signalMember(0, "CONT");
                }
                double withHung =
                        others.values().stream().mapToDouble(d -> d).max().orElse(0);

                // (c) the catalogue of the whole fleet, as status --fleet reads it
                long rebuild0 = System.nanoTime();
                String rebuilt = http(base, token, "POST", "/catalog/rebuild");
                double rebuild = (System.nanoTime() - rebuild0) / 1e9;
                double read = Double.MAX_VALUE;
                int lines = 0;
                for (int i = 0; i < 3; i++) {
                    long r0 = System.nanoTime();
                    lines = io.etcdguardian.common.event.EventJson.MAPPER
                            .readTree(http(base, token, "GET", "/catalog"))
                            .size();
                    read = Math.min(read, (System.nanoTime() - r0) / 1e9);
                }

                // and as an operator runs it, JVM start included, when guardianctl is built
                Path ctl = Path.of("..", "cli", "target", "guardianctl.jar");
                String statusFleet = "guardianctl not built";
                if (Files.isRegularFile(ctl)) {
                    double best = Double.MAX_VALUE;
                    long rows = 0;
                    for (int i = 0; i < 3; i++) {
                        ProcessBuilder status = new ProcessBuilder(
                                        "java",
                                        "-jar",
                                        ctl.toString(),
                                        "status",
                                        "--fleet",
                                        "--fleet-file",
                                        fleetFile.toString(),
                                        "--snapshot-url",
                                        base.toString(),
                                        "--restore-url",
                                        base.toString())
                                .redirectErrorStream(true);
                        status.environment().put("GUARDIAN_TOKEN", token);
                        long s0 = System.nanoTime();
                        Process p = status.start();
                        rows = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                                        .lines()
                                        .count()
                                - 1;
                        p.waitFor();
                        best = Math.min(best, (System.nanoTime() - s0) / 1e9);
                    }
                    statusFleet = String.format("guardianctl status --fleet: %d rows in %.2f s", rows, best);
                }

                // (d) fixed cost: a small database, request to committed, against its capture and upload
                List<double[]> costs = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    costs.add(fixedCost(stream, small));
                }

                out.add(String.format(
                        "(a) %d etcds requested at once: all committed in %.2f s; the same one at a time: %.2f s;"
                                + " ratio %.2fx (%.0f MB/s through the pipeline)",
                        etcds, allAtOnce, oneStream, allAtOnce / oneStream, total / allAtOnce / 1e6));
                out.add(String.format(
                        "(b) one etcd SIGSTOPped: the other %d committed in %.2f s (%+.2f s against (a))",
                        etcds - 1, withHung, withHung - allAtOnce));
                out.add(String.format(
                        "(c) catalogue rebuilt for %d clusters in %.2f s (%s); GET /catalog: %d lines in %.3f s; %s",
                        fleetSize, rebuild, rebuilt, lines, read, statusFleet));
                double[] e2e = costs.stream().mapToDouble(c -> c[0]).sorted().toArray();
                double[] work = costs.stream().mapToDouble(c -> c[1]).sorted().toArray();
                double[] capture =
                        costs.stream().mapToDouble(c -> c[2]).sorted().toArray();
                out.add(String.format(
                        "(d) small snapshot (%s, %d runs): request -> completed event p50 %.0f ms (min %.0f, max"
                                + " %.0f); inside the service p50 %.0f ms; capture p50 %.0f ms;"
                                + " fixed cost (request -> completed minus capture; the upload counted in, an upper bound) p50 %.0f ms",
                        small,
                        e2e.length,
                        e2e[e2e.length / 2],
                        e2e[0],
                        e2e[e2e.length - 1],
                        work[work.length / 2],
                        capture[capture.length / 2],
                        costs.stream().mapToDouble(c -> c[3]).sorted().toArray()[costs.size() / 2]));
                out.add(String.format(
                        "(e) one replica during (a): heap peak %d MiB of -Xmx%d MiB, threads peak %d, CPU %.1f s in"
                                + " %.1f s (%.0f%% of one core; %d cores)",
                        used.peakHeap() / MIB,
                        Runtime.getRuntime().maxMemory() / MIB,
                        used.peakThreads(),
                        used.cpuSeconds(),
                        allAtOnce,
                        100 * used.cpuSeconds() / allAtOnce,
                        Runtime.getRuntime().availableProcessors()));
                for (int n = 0; n < neighbours.size(); n++) {
                    ForkedUsage.Taken t = besideTaken.get(n);
                    out.add(String.format(
                            "(e) %s beside it during (a) (-Xmx256m, %s): heap peak %d MiB, threads peak %d, CPU %.1f s"
                                    + " (%.0f%% of one core)",
                            neighbours.get(n).name(),
                            neighbours.get(n).loaded(),
                            t.peakHeap() / MIB,
                            t.peakThreads(),
                            t.cpuSeconds(),
                            100 * t.cpuSeconds() / allAtOnce));
                }
                if (neighbours.isEmpty()) {
                    out.add("(e) no scheduler-service or health-service beside it (-Dbench.neighbours=false, or their"
                            + " jars not built: mvn install -DskipTests)");
                }
                out.add("(a) per-cluster time to commit, s: "
                        + Arrays.toString(parallel.values().stream()
                                .mapToDouble(d -> Math.round(d * 10) / 10.0)
                                .sorted()
                                .toArray()));
            }
            neighbours.forEach(Neighbour::stop);
            if (Boolean.parseBoolean(System.getProperty("bench.two-replicas", "true"))) {
                out.addAll(twoReplicas(backplane, props, etcds, total));
            }
        } finally {
            fillers.shutdownNow();
            clusters.forEach(EtcdCluster::stop);
        }
        System.out.println();
        System.out.println("fleet benchmark, " + Runtime.getRuntime().availableProcessors() + " cores:");
        out.forEach(System.out::println);
        System.out.println();
    }

    /**
     * (e) with two replicas side by side: each its own JVM, with this JVM's heap limit, in one consumer
     * group; all etcds requested at once again, and each replica's heap, threads and CPU measured.
     */
    private List<String> twoReplicas(Backplane backplane, Map<String, Object> props, int etcds, long total)
            throws Exception {
        Map<String, Object> settings = new HashMap<>(props);
        String group = "fleet-bench-two-" + System.nanoTime();
        settings.put("guardian.snapshot.group", group);
        List<Process> replicas = new ArrayList<>();
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
            for (int r = 0; r < 2; r++) {
                settings.put(
                        "guardian.snapshot.spool-dir", dir.resolve("spool-" + r).toString());
                replicas.add(ForkedService.start(
                        "io.etcdguardian.snapshot.Application",
                        settings,
                        dir.resolve("replica-" + r + ".log"),
                        List.of(
                                "-Xmx" + Runtime.getRuntime().maxMemory() / MIB + "m",
                                ForkedUsage.gcLogOption(replicaGcLog(r)))));
            }
            awaitMembers(backplane, group, 2);
            List<String> big = new ArrayList<>();
            for (int i = 0; i < etcds; i++) {
                big.add(id(i));
            }
            // warm-up as the one replica had it (its one-at-a-time pass): JIT, clients, connections, spool files
            requestAll(stream, big, Set.of());
            List<ForkedUsage> usages = new ArrayList<>();
            for (int r = 0; r < replicas.size(); r++) {
                usages.add(new ForkedUsage(replicas.get(r), replicaGcLog(r)));
            }
            long t0 = System.nanoTime();
            requestAll(stream, big, Set.of());
            double took = (System.nanoTime() - t0) / 1e9;
            List<String> lines = new ArrayList<>();
            lines.add(String.format(
                    "(e) two replicas (own JVMs, -Xmx%d MiB each): %d etcds requested at once, all committed in %.2f s"
                            + " (%.0f MB/s)",
                    Runtime.getRuntime().maxMemory() / MIB, etcds, took, total / took / 1e6));
            List<ForkedUsage.Taken> taken = new ArrayList<>();
            for (ForkedUsage usage : usages) {
                taken.add(usage.stop());
            }
            for (int r = 0; r < taken.size(); r++) {
                ForkedUsage.Taken used = taken.get(r);
                lines.add(String.format(
                        "    replica %d: heap peak %d MiB, threads peak %d, CPU %.1f s in %.1f s (%.0f%% of one core)",
                        r + 1,
                        used.peakHeap() / MIB,
                        used.peakThreads(),
                        used.cpuSeconds(),
                        took,
                        100 * used.cpuSeconds() / took));
            }
            return lines;
        } finally {
            for (Process p : replicas) {
                ForkedService.stop(p);
            }
        }
    }

    private Path replicaGcLog(int replica) {
        return dir.resolve("replica-" + replica + ".gc.log");
    }

    /** scheduler-service or health-service from its built jar, on the benchmark's fleet and backplane. */
    private record Neighbour(String name, Process process, Path log, Path gcLog) {
        static List<Neighbour> startAll(Backplane backplane, Path fleet, Path tokens, Path dir) throws Exception {
            List<Neighbour> started = new ArrayList<>();
            for (String name : List.of("scheduler-service", "health-service")) {
                Path jar = Path.of("..", name, "target", name + ".jar").toAbsolutePath();
                if (!Files.isRegularFile(jar)) {
                    continue;
                }
                Path log = dir.resolve(name + ".log");
                Path gcLog = dir.resolve(name + ".gc.log");
                Process p = new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java")
                                        .toString(),
                                "-Xmx256m",
                                ForkedUsage.gcLogOption(gcLog),
                                "-Dmicronaut.server.port=-1",
                                "-Dkafka.bootstrap.servers=" + backplane.kafka().bootstrapServers(),
                                "-Dguardian.fleet.file=" + fleet,
                                "-Dguardian.security.tokens-file=" + tokens,
                                "-jar",
                                jar.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
                started.add(new Neighbour(name, p, log, gcLog));
            }
            for (Neighbour n : started) {
                org.awaitility.Awaitility.await()
                        .atMost(java.time.Duration.ofSeconds(120))
                        .until(() -> !n.process().isAlive() || n.logHas("Startup completed"));
                if (!n.process().isAlive()) {
                    throw new IllegalStateException(n.name() + " did not start; see " + n.log());
                }
            }
            return started;
        }

        boolean logHas(String text) throws java.io.IOException {
            return Files.readString(log).contains(text);
        }

        /** What it loaded, as its log says: the fleet's size. */
        String loaded() {
            try {
                return Files.readString(log)
                        .lines()
                        .filter(l -> l.contains("fleet version 1:"))
                        .map(l -> l.substring(l.indexOf("fleet version 1:") + "fleet version 1:".length())
                                .trim())
                        .map(l -> l.replaceAll(", changed.*", ""))
                        .findFirst()
                        .orElse("fleet not reported");
            } catch (java.io.IOException e) {
                return "log unreadable";
            }
        }

        void stop() {
            process.destroy();
        }
    }

    /** Until the group has that many members, so no rebalance moves partitions during the measurement. */
    private static void awaitMembers(Backplane backplane, String group, int members) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", backplane.kafka().bootstrapServers()))) {
            org.awaitility.Awaitility.await("both replicas in group " + group)
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        var description = admin.describeConsumerGroups(List.of(group))
                                .all()
                                .get()
                                .get(group);
                        return description.members().size() == members
                                && description.state() == org.apache.kafka.common.ConsumerGroupState.STABLE
                                && description.members().stream()
                                        .allMatch(m -> !m.assignment()
                                                .topicPartitions()
                                                .isEmpty());
                    });
        }
    }

    private static String id(int i) {
        return String.format("fleet-%04d", i);
    }

    /** Publishes a request per cluster at once; returns seconds to each completion (except {@code ignore}). */
    private static Map<String, Double> requestAll(EventStream stream, List<String> clusters, Set<String> ignore) {
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            long t0 = System.nanoTime();
            Map<String, String> byRequest = new HashMap<>();
            for (String cluster : clusters) {
                byRequest.put(
                        stream.publish(
                                        "/bench",
                                        new BackupRequested(
                                                cluster, Trigger.ON_DEMAND, "bench", "bench", null, Instant.now()))
                                .getId(),
                        cluster);
            }
            Set<String> waiting = new HashSet<>();
            byRequest.forEach((request, cluster) -> {
                if (!ignore.contains(cluster)) {
                    waiting.add(request);
                }
            });
            Map<String, Double> took = new HashMap<>();
            while (!waiting.isEmpty()) {
                GuardianEvent outcome = events.await(
                                e -> (e instanceof SnapshotCompleted c && waiting.contains(c.requestId()))
                                        || (e instanceof SnapshotFailed f && waiting.contains(f.requestId())),
                                Duration.ofMinutes(10))
                        .orElseThrow(() -> new AssertionError("no outcome for " + waiting.size() + " requests"));
                if (outcome instanceof SnapshotFailed f) {
                    throw new AssertionError(
                            "snapshot of " + f.clusterId() + " failed: " + f.reason() + " " + f.detail());
                }
                SnapshotCompleted done = (SnapshotCompleted) outcome;
                waiting.remove(done.requestId());
                took.put(done.clusterId(), (System.nanoTime() - t0) / 1e9);
            }
            return took;
        }
    }

    /** ms: request -> completed event, the service's own duration, capture, and request -> completed minus capture. */
    private static double[] fixedCost(EventStream stream, String cluster) {
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            long t0 = System.nanoTime();
            String id = stream.publish(
                            "/bench",
                            new BackupRequested(cluster, Trigger.ON_DEMAND, "bench", "bench", null, Instant.now()))
                    .getId();
            SnapshotCompleted done = (SnapshotCompleted) events.await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.requestId().equals(id),
                            Duration.ofMinutes(2))
                    .orElseThrow();
            double e2e = (System.nanoTime() - t0) / 1e6;
            // the event does not say how long the upload took after the capture: counted as fixed cost, so an upper
            // bound
            return new double[] {e2e, done.durationMs(), done.captureMs(), e2e - done.captureMs()};
        }
    }

    private static String http(URI base, String token, String method, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(base.resolve(path))
                                .header("Authorization", "Bearer " + token)
                                .timeout(Duration.ofMinutes(10))
                                .method(method, HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new AssertionError(method + " " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /** Random base64 values (zstd ratio ~0.75, like Secrets encrypted at rest) until the database is that big. */
    private static void fill(String endpoint, long target, int seed) {
        Random random = new Random(seed);
        try (Client client = Client.builder().endpoints(endpoint).build()) {
            long written = 0;
            int n = 0;
            List<CompletableFuture<?>> pending = new ArrayList<>();
            while (written < target) {
                byte[] raw = new byte[768 * 1024];
                random.nextBytes(raw);
                byte[] value = java.util.Base64.getEncoder().encode(raw);
                pending.add(client.getKVClient()
                        .put(
                                ByteSequence.from("/registry/secrets/bench/s-" + n++, StandardCharsets.UTF_8),
                                ByteSequence.from(value)));
                written += value.length;
                if (pending.size() == 4) {
                    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                            .get();
                    pending.clear();
                }
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot fill " + endpoint, e);
        }
    }

    /** Peak heap and threads (sampled every 5 ms) and CPU time of this JVM — the replica — over a span. */
    private static final class Usage {
        record Taken(long peakHeap, int peakThreads, double cpuSeconds) {}

        private final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private final long cpu0 = os.getProcessCpuTime();
        private volatile boolean running = true;
        private volatile long heap;
        private volatile int threads;
        private final Thread sampler;

        Usage() {
            System.gc();
            sampler = new Thread(
                    () -> {
                        while (running) {
                            heap = Math.max(
                                    heap,
                                    ManagementFactory.getMemoryMXBean()
                                            .getHeapMemoryUsage()
                                            .getUsed());
                            threads = Math.max(
                                    threads, ManagementFactory.getThreadMXBean().getThreadCount());
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "usage-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        Taken stop() throws InterruptedException {
            running = false;
            sampler.join();
            return new Taken(heap, threads, (os.getProcessCpuTime() - cpu0) / 1e9);
        }
    }
}
