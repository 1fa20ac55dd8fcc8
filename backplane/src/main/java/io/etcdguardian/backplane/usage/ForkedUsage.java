package io.etcdguardian.backplane.usage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Peak heap, peak threads and CPU time of a forked JVM (a service under a benchmark) over a span.
 * The heap comes from the JVM's own GC log (started with {@link #gcLogOption}): the heap in use just
 * before each collection is its peak, read for free. Sampling it with jstat every 20 ms cost a tenth
 * of a core per JVM watched, taken from the service on a 2-core machine.
 */
public final class ForkedUsage {
    /**
     * {@code peakAnonymous}: the most anonymous memory resident (RssAnon, sampled: heap, direct
     * buffers, metaspace, stacks), what a container's memory limit kills for; file pages (the spool,
     * mapped bbolt pages) are reclaimable and left out. {@code byThread}: CPU-s by thread name (digits
     * dropped), largest first.
     */
    public record Taken(long peakHeap, long peakAnonymous, int peakThreads, double cpuSeconds, String byThread) {}

    /** "... Pause Young (Normal) (G1 Evacuation Pause) 45M->12M(64M) 3.456ms": in use before and after. */
    private static final Pattern COLLECTION = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    private final long pid;
    private final Path gcLog;
    private final long logOffset;
    private final double cpu0;
    private final java.util.Map<String, Double> threads0;
    private final Thread threadSampler;
    private volatile boolean running = true;
    private volatile int threads;
    private volatile long anonymous;

    /** The JVM option that makes a service write the GC log this reads. */
    public static String gcLogOption(Path gcLog) {
        return "-Xlog:gc:file=" + gcLog + ":uptime:filecount=0";
    }

    public ForkedUsage(Process process, Path gcLog) {
        this.pid = process.pid();
        this.gcLog = gcLog;
        this.logOffset = size(gcLog);
        this.cpu0 = cpuSeconds();
        this.threads0 = threadSeconds();
        threadSampler = new Thread(
                () -> {
                    while (running) {
                        List<String> status = status();
                        threads = Math.max(threads, (int) field(status, "Threads:"));
                        anonymous = Math.max(anonymous, field(status, "RssAnon:") * 1024);
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "threads-" + pid);
        threadSampler.setDaemon(true);
        threadSampler.start();
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** The most the heap held before a collection in the span (0 when none ran). */
    private long peakHeap() {
        long peak = 0;
        try (var in = Files.newInputStream(gcLog)) {
            in.skipNBytes(logOffset);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                Matcher m = COLLECTION.matcher(line);
                if (m.find()) {
                    peak = Math.max(peak, bytes(m.group(1), m.group(2)));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the GC log " + gcLog, e);
        }
        return peak;
    }

    private static long bytes(String number, String unit) {
        long n = Long.parseLong(number);
        return switch (unit) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            default -> n << 30;
        };
    }

    private double cpuSeconds() {
        return ProcStat.of(pid).ownSeconds();
    }

    private List<String> status() {
        try {
            return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"));
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    /** A number field of /proc/<pid>/status ("RssAnon:   123456 kB" in KiB, "Threads:  42" as is). */
    private static long field(List<String> status, String field) {
        return status.stream()
                .filter(l -> l.startsWith(field))
                .mapToLong(l -> Long.parseLong(
                        l.substring(field.length()).replace("kB", "").trim()))
                .findFirst()
                .orElse(0);
    }

    public Taken stop() throws InterruptedException {
        running = false;
        double cpu = cpuSeconds() - cpu0;
        java.util.Map<String, Double> threads1 = threadSeconds();
        threadSampler.join();
        java.util.Map<String, Double> byName = new java.util.HashMap<>();
        double living = 0;
        for (var e : threads1.entrySet()) {
            double spent = e.getValue() - threads0.getOrDefault(e.getKey(), 0.0);
            living += spent;
            byName.merge(e.getKey().substring(e.getKey().indexOf(' ') + 1), spent, Double::sum);
        }
        byName.put("threads that ended", cpu - living);
        return new Taken(peakHeap(), anonymous, threads, cpu, new CpuByThread(byName).toString());
    }

    /**
     * CPU-s of each living thread, keyed "tid name" with the name as the kernel has it (15 characters:
     * "C2 CompilerThre", "G1 Conc#0", "grpc-nio-worker") and its digits dropped.
     */
    private java.util.Map<String, Double> threadSeconds() {
        java.util.Map<String, Double> seconds = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            tasks.forEach(task -> {
                try {
                    String name = Files.readString(task.resolve("comm")).trim().replaceAll("\\d+", "N");
                    seconds.put(
                            task.getFileName() + " " + name, ProcStat.of(task).ownSeconds());
                } catch (java.io.IOException | RuntimeException ended) {
                    // the thread ended between the listing and the read
                }
            });
        } catch (java.io.IOException e) {
            // the process ended
        }
        return seconds;
    }
}
