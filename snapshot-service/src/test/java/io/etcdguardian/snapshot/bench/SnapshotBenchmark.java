package io.etcdguardian.snapshot.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.ForkedService;
import io.etcdguardian.backplane.usage.CpuByThread;
import io.etcdguardian.backplane.usage.ForkedUsage;
import io.etcdguardian.backplane.usage.ProcStat;
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
import java.util.HashMap;
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
        List<String> heaps = serviceHeaps();
        serviceVariants(heaps).forEach(SnapshotBenchmark::refuseUnstartable);
        int runs = Integer.getInteger("bench.runs", 2);
        int warmRuns = Integer.getInteger("bench.warm-runs", 8);
        EtcdCluster etcd =
                EtcdCluster.plan(dir.resolve("etcd"), 1, 8L * 1024 * MIB).start();
        // a small cluster beside it warms each service JVM up (JIT, connections) without a big snapshot
        EtcdCluster warm = EtcdCluster.plan(dir.resolve("warm"), 1, 256 * MIB).start();
        Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: bench
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: bench/ }
                  - id: warm
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: warm/ }
                """.formatted(
                        etcd.endpoints().get(0),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials,
                        warm.endpoints().get(0),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials));
        String version = serverVersion(etcd);
        List<String> rows = new ArrayList<>();
        List<String> cpuRows = new ArrayList<>();
        List<String> copyRows = new ArrayList<>();
        List<String> heapRatios = new ArrayList<>();
        boolean awsCli = awsCliPresent();
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
        try (AutoCloseable inThisJvm = heaps.isEmpty() ? ApplicationContext.run(props) : () -> {};
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                Client client =
                        Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
            try (Client warmClient =
                    Client.builder().endpoints(warm.endpoints().get(0)).build()) {
                fill(warmClient, 64 * MIB);
            }
            List<String> services = heaps.isEmpty() ? List.of(IN_THIS_JVM) : serviceVariants(heaps);
            for (long size : sizes) {
                fill(client, size);
                long dbSize = dbSize(etcd);
                double etcdctl = Double.MAX_VALUE;
                double saveAndCopy = Double.MAX_VALUE;
                ProcessCpu.Spent etcdctlCpu = null;
                ProcessCpu.Spent copyCpu = null;
                Map<String, Best> best = new java.util.LinkedHashMap<>();
                services.forEach(s -> best.put(s, new Best()));
                for (int run = 0; run < runs; run++) {
                    Path out = dir.resolve("etcdctl-" + run + ".db");
                    ProcessCpu cpu0 = ProcessCpu.now();
                    long t0 = System.nanoTime();
                    etcd.etcdctl("snapshot", "save", out.toString());
                    double saved = (System.nanoTime() - t0) / 1e9;
                    if (saved < etcdctl) {
                        etcdctl = saved;
                        etcdctlCpu = cpu0.since(saved);
                    }
                    if (awsCli) {
                        // what an operator's cron job does: the saved file, copied with the AWS CLI (multipart)
                        ProcessCpu cpuCp = ProcessCpu.now();
                        long c0 = System.nanoTime();
                        awsCp(backplane, out, "bench/aws-cp-" + run + ".db");
                        double copied = (System.nanoTime() - c0) / 1e9;
                        if (saved + copied < saveAndCopy) {
                            saveAndCopy = saved + copied;
                            copyCpu = cpuCp.since(copied);
                        }
                    }
                    Files.delete(out);
                    for (String service : services) {
                        // each heap (and collector) gets a fresh JVM per run, the runs interleaved: a fair
                        // ratio between them on a machine whose speed drifts over minutes
                        String name = "service-" + service + "-" + human(size).replace(' ', '-') + "-" + run;
                        Path gcLog = dir.resolve(name + ".gc.log");
                        Process forked = service.equals(IN_THIS_JVM)
                                ? null
                                : ForkedService.start(
                                        "io.etcdguardian.snapshot.Application",
                                        withPort(props),
                                        dir.resolve(name + ".log"),
                                        jvmOptions(service, gcLog));
                        try {
                            // 64 MiB snapshots first, as a long-running service has taken: with two, C2 still
                            // spent 4.7 CPU-s compiling during the measured run, with eight 2.1
                            for (int w = 0; w < warmRuns; w++) {
                                serviceRun(stream, "warm");
                            }
                            measure(stream, forked, gcLog, best.get(service));
                        } finally {
                            if (forked != null) {
                                ForkedService.stop(forked);
                            }
                        }
                    }
                }
                double firstService = best.get(services.get(0)).service;
                for (String service : services) {
                    Best b = best.get(service);
                    cpuRows.add(String.format(
                            "%-10s %-11s etcdctl save %s%n%-22s aws s3 cp    %s%n%-22s guardian     %s%n%-22s   guardian JVM"
                                    + " by thread: %s",
                            human(size),
                            service,
                            etcdctlCpu,
                            "",
                            awsCli ? copyCpu : "(no aws CLI)",
                            "",
                            b.cpu,
                            "",
                            b.threads));
                    copyRows.add(String.format(
                            "%-10s %-11s %14.2f s %24s %20.2f s %8s",
                            human(size),
                            service,
                            etcdctl,
                            awsCli ? String.format("%.2f s", saveAndCopy) : "(no aws CLI)",
                            b.service,
                            awsCli ? String.format("%.2fx", b.service / saveAndCopy) : "-"));
                    rows.add(String.format(
                            "%-10s %-11s %-9s %14.2f s %20.2f s %8.2fx %13.2f s %8.2fx %12.2f %12d MiB %10s %10.0f MB/s",
                            human(size),
                            service,
                            human(dbSize),
                            etcdctl,
                            b.service,
                            b.service / etcdctl,
                            b.capture,
                            b.capture / etcdctl,
                            (double) b.last.sizeStored() / b.last.sizeRaw(),
                            b.peakHeap / MIB,
                            b.peakAnonymous == 0 ? "-" : b.peakAnonymous / MIB + " MiB",
                            b.last.sizeRaw() / b.service / 1e6));
                    if (!service.equals(services.get(0))) {
                        heapRatios.add(String.format(
                                "%-10s %s took %.2fx the time of %s (%.2f s against %.2f s)",
                                human(size),
                                service,
                                b.service / firstService,
                                services.get(0),
                                b.service,
                                firstService));
                    }
                }
            }
        } finally {
            etcd.stop();
            warm.stop();
        }
        System.out.printf(
                "%nsnapshot benchmark: 1-member etcd %s, S3Proxy (filesystem) on loopback, %d cores,"
                        + " service %s, best of %d, overrides %s%n",
                version,
                Runtime.getRuntime().availableProcessors(),
                heaps.isEmpty()
                        ? "in the benchmark's JVM, -Xmx" + Runtime.getRuntime().maxMemory() / MIB + " MiB"
                        : "in its own JVM per run, " + serviceVariants(heaps) + " interleaved, options "
                                + extraOptions(),
                runs,
                props.entrySet().stream()
                        .filter(e -> System.getProperty(e.getKey()) != null)
                        .toList());
        System.out.printf(
                "%-10s %-11s %-9s %16s %22s %9s %15s %9s %12s %16s %10s %15s%n",
                "target",
                "service",
                "db size",
                "etcdctl save",
                "guardian request->S3",
                "ratio",
                "etcd read txn",
                "ratio",
                "stored/raw",
                "peak heap",
                "peak anon",
                "end-to-end");
        rows.forEach(System.out::println);
        System.out.printf(
                "%n%-10s %-11s %16s %26s %22s %9s%n",
                "target", "service", "etcdctl save", "save + aws s3 cp", "guardian request->S3", "ratio");
        copyRows.forEach(System.out::println);
        if (!heapRatios.isEmpty()) {
            System.out.println();
            heapRatios.forEach(System.out::println);
        }
        System.out.printf(
                "%nCPU seconds spent during the best run of each, by process (%d cores: a run cannot take less"
                        + " than the sum / cores)%n",
                Runtime.getRuntime().availableProcessors());
        cpuRows.forEach(System.out::println);
        System.out.println();
    }

    private static final String IN_THIS_JVM = "this-jvm";

    /** The best of a service's runs at one size. */
    private static final class Best {
        double service = Double.MAX_VALUE;
        double capture = Double.MAX_VALUE;
        long peakHeap;
        long peakAnonymous;
        SnapshotCompleted last;
        ProcessCpu.Spent cpu;
        String threads;
    }

    private static void measure(EventStream stream, Process forked, Path gcLog, Best best) throws InterruptedException {
        System.gc();
        HeapSampler sampler = forked == null ? new HeapSampler() : null;
        ForkedUsage usage = forked == null ? null : new ForkedUsage(forked, gcLog);
        ProcessCpu cpu1 = ProcessCpu.now();
        ThreadCpu threads1 = forked == null ? ThreadCpu.now() : null;
        long t1 = System.nanoTime();
        best.last = serviceRun(stream, "bench");
        double took = (System.nanoTime() - t1) / 1e9;
        ProcessCpu.Spent cpu = cpu1.since(took);
        ForkedUsage.Taken taken = forked == null ? null : usage.stop();
        if (took < best.service) {
            best.service = took;
            best.cpu = cpu;
            best.threads = forked == null ? threads1.since() : taken.byThread();
        }
        best.capture = Math.min(best.capture, best.last.captureMs() / 1e3);
        best.peakHeap = Math.max(best.peakHeap, forked == null ? sampler.stop() : taken.peakHeap());
        best.peakAnonymous = Math.max(best.peakAnonymous, forked == null ? 0 : taken.peakAnonymous());
    }

    /**
     * -Dbench.service-heap=64m: the service in its own JVM with that heap, as it runs deployed;
     * {@code =512m,64m} measures both in the same run. Without it, the service runs in this JVM
     * (heap from -DargLine).
     */
    private static List<String> serviceHeaps() {
        String spec = System.getProperty("bench.service-heap", "");
        return java.util.Arrays.stream(spec.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    /**
     * -Dbench.service-gc=G1,Serial: each heap under each collector ("512m-G1"); without it, Serial, as
     * the chart runs the services.
     */
    private static List<String> serviceVariants(List<String> heaps) {
        String spec = System.getProperty("bench.service-gc", "").trim();
        if (spec.isEmpty()) {
            return heaps;
        }
        List<String> variants = new ArrayList<>();
        for (String heap : heaps) {
            for (String gc : spec.split(",")) {
                variants.add(heap + "-" + gc.trim());
            }
        }
        return variants;
    }

    /** -Dbench.service-options="-Xlog:gc* ...": JVM options for every forked service. */
    private static List<String> extraOptions() {
        String spec = System.getProperty("bench.service-options", "").trim();
        return spec.isEmpty() ? List.of() : List.of(spec.split("\\s+"));
    }

    /**
     * A variant whose JVM cannot start (-Dbench.service-gc=Bogus, -Dbench.service-heap=64x) fails here
     * with the JVM's own words, not after a backup request waited 10 minutes for a service that died.
     */
    private static void refuseUnstartable(String variant) {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions(variant, Path.of("/dev/null")));
        command.add("-version");
        try {
            Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
            String said = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (java.waitFor() != 0) {
                throw new IllegalArgumentException("service variant '" + variant + "' ("
                        + command.subList(1, command.size() - 1) + "): the JVM does not start: " + said.strip());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> jvmOptions(String variant, Path gcLog) {
        String[] heapAndGc = variant.split("-", 2);
        List<String> options = new ArrayList<>(List.of("-Xmx" + heapAndGc[0], ForkedUsage.gcLogOption(gcLog)));
        // the collector the chart runs the services with, unless a variant names another
        options.add("-XX:+Use" + (heapAndGc.length == 2 ? heapAndGc[1] : "Serial") + "GC");
        options.addAll(extraOptions());
        return options;
    }

    private static Map<String, Object> withPort(Map<String, Object> props) {
        Map<String, Object> forked = new HashMap<>(props);
        forked.put("micronaut.server.port", -1);
        return forked;
    }

    private static boolean awsCliPresent() {
        try {
            return new ProcessBuilder("aws", "--version")
                            .redirectErrorStream(true)
                            .start()
                            .waitFor()
                    == 0;
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }

    private static void awsCp(Backplane backplane, Path file, String key) throws Exception {
        ProcessBuilder cp = new ProcessBuilder(
                        "aws",
                        "s3",
                        "cp",
                        "--only-show-errors",
                        "--endpoint-url",
                        backplane.s3().endpoint(),
                        file.toString(),
                        "s3://" + backplane.bucket() + "/" + key)
                .redirectErrorStream(true);
        cp.environment().put("AWS_ACCESS_KEY_ID", backplane.s3().accessKey());
        cp.environment().put("AWS_SECRET_ACCESS_KEY", backplane.s3().secretKey());
        cp.environment().put("AWS_DEFAULT_REGION", "us-east-1");
        Process p = cp.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("aws s3 cp failed: " + output);
        }
    }

    /**
     * CPU time of this JVM's threads, grouped by name (digits dropped), and what no Java thread
     * accounts for: the garbage collector and the JIT compiler.
     */
    private record ThreadCpu(Map<Long, Long> nanos, Map<Long, String> names, long process) {
        static ThreadCpu now() {
            java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            Map<Long, Long> nanos = new HashMap<>();
            Map<Long, String> names = new HashMap<>();
            for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
                if (info != null) {
                    long cpu = mx.getThreadCpuTime(info.getThreadId());
                    if (cpu >= 0) {
                        nanos.put(info.getThreadId(), cpu);
                        names.put(info.getThreadId(), info.getThreadName().replaceAll("\\d+", "N"));
                    }
                }
            }
            return new ThreadCpu(
                    nanos,
                    names,
                    ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                            .getProcessCpuTime());
        }

        String since() {
            ThreadCpu after = now();
            Map<String, Double> byGroup = new HashMap<>();
            long threads = 0;
            for (var e : after.nanos().entrySet()) {
                long spent = e.getValue() - nanos.getOrDefault(e.getKey(), 0L);
                threads += spent;
                byGroup.merge(after.names().get(e.getKey()), spent / 1e9, Double::sum);
            }
            byGroup.put("GC, JIT and threads that ended", (after.process() - process - threads) / 1e9);
            return new CpuByThread(byGroup).toString();
        }
    }

    /**
     * CPU time of every process on the machine (from /proc), grouped as what they are: this JVM (the
     * service and the benchmark's driver), etcd, S3Proxy, the Kafka broker, the rest.
     */
    private record ProcessCpu(Map<String, Double> seconds) {
        private static final long SELF = ProcessHandle.current().pid();
        private static final String SELF_GROUP = "guardian JVM";

        static ProcessCpu now() {
            Map<String, Double> byGroup = new java.util.TreeMap<>();
            try (var pids = Files.list(Path.of("/proc"))) {
                pids.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit))
                        .forEach(d -> {
                            try {
                                ProcStat stat = ProcStat.of(d);
                                String group = group(d);
                                byGroup.merge(group, stat.ownSeconds(), Double::sum);
                                if (group.equals(SELF_GROUP)) {
                                    byGroup.merge("ended children (etcdctl)", stat.endedChildrenSeconds(), Double::sum);
                                }
                            } catch (java.io.IOException | RuntimeException gone) {
                                // the process ended between the listing and the read
                            }
                        });
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new ProcessCpu(byGroup);
        }

        private static String group(Path proc) throws java.io.IOException {
            if (proc.getFileName().toString().equals(String.valueOf(SELF))) {
                return SELF_GROUP;
            }
            String cmdline = Files.readString(proc.resolve("cmdline")).replace('\0', ' ');
            if (cmdline.contains("io.etcdguardian.snapshot.Application")) {
                return "guardian service (own JVM)"; // before the others: its class path names them all
            }
            if (cmdline.contains("s3proxy")) {
                return "s3proxy";
            }
            if (cmdline.contains("kafka")) {
                return "kafka";
            }
            if (cmdline.contains("etcdctl")) {
                return "etcdctl";
            }
            if (cmdline.contains("etcd")) {
                return "etcd";
            }
            if (cmdline.contains("aws")) {
                return "aws cli";
            }
            return "other";
        }

        /** What each group spent since this reading, over {@code wall} seconds. */
        Spent since(double wall) {
            Map<String, Double> spent = new java.util.TreeMap<>();
            now().seconds().forEach((group, s) -> {
                double d = s - seconds.getOrDefault(group, 0.0);
                if (d >= 0.05) {
                    spent.put(group, d);
                }
            });
            return new Spent(spent, wall);
        }

        record Spent(Map<String, Double> seconds, double wall) {
            @Override
            public String toString() {
                double sum = seconds.values().stream().mapToDouble(d -> d).sum();
                StringBuilder b = new StringBuilder(String.format("%.2f s wall, %.2f CPU-s:", wall, sum));
                seconds.forEach((g, d) -> b.append(String.format(" %s %.2f", g, d)));
                return b.toString();
            }
        }
    }

    private static long[] sizes() {
        String spec = System.getProperty("bench.sizes-mib", "256,1024");
        return java.util.Arrays.stream(spec.split(","))
                .mapToLong(s -> Long.parseLong(s.trim()) * MIB)
                .toArray();
    }

    private static SnapshotCompleted serviceRun(EventStream stream, String cluster) {
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String id = stream.publish(
                            "/bench",
                            new BackupRequested(cluster, Trigger.ON_DEMAND, "bench", "bench", null, Instant.now()))
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

    private static String serverVersion(EtcdCluster etcd) {
        String json = etcd.etcdctl("endpoint", "status", "-w", "json");
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\"version\":\"([^\"]+)\"").matcher(json);
        return m.find() ? m.group(1) : "(version unknown)";
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
