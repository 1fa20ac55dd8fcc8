package io.etcdguardian.snapshot.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak heap (jstat, every 20 ms), peak threads and CPU time (from /proc) of a forked JVM (a
 * service under a benchmark) over a span.
 */
final class ForkedUsage {
    record Taken(long peakHeap, int peakThreads, double cpuSeconds) {}

    private final long pid;
    private final double cpu0;
    private final Process jstat;
    private final Thread heapReader;
    private final Thread threadSampler;
    private volatile boolean running = true;
    private volatile long heap;
    private volatile int threads;

    ForkedUsage(long pid) {
        this.pid = pid;
        this.cpu0 = cpuSeconds();
        try {
            jstat = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "jstat")
                                    .toString(),
                            "-gc",
                            String.valueOf(pid),
                            "20")
                    .redirectErrorStream(true)
                    .start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        heapReader = new Thread(this::readHeap, "jstat-" + pid);
        heapReader.setDaemon(true);
        heapReader.start();
        threadSampler = new Thread(
                () -> {
                    while (running) {
                        threads = Math.max(threads, threadCount());
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

    /** jstat -gc columns: S0C S1C S0U S1U EC EU OC OU ...; used heap = S0U + S1U + EU + OU (KiB). */
    private void readHeap() {
        try (var lines = new java.io.BufferedReader(
                new java.io.InputStreamReader(jstat.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 7 && !f[0].equals("S0C")) {
                    double used = Double.parseDouble(f[2])
                            + Double.parseDouble(f[3])
                            + Double.parseDouble(f[5])
                            + Double.parseDouble(f[7]);
                    heap = Math.max(heap, (long) (used * 1024));
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // jstat ended with the span
        }
    }

    private double cpuSeconds() {
        return ProcStat.of(pid).ownSeconds();
    }

    private int threadCount() {
        try {
            return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                    .filter(l -> l.startsWith("Threads:"))
                    .mapToInt(l ->
                            Integer.parseInt(l.substring("Threads:".length()).trim()))
                    .findFirst()
                    .orElse(0);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    Taken stop() throws InterruptedException {
        running = false;
        double cpu = cpuSeconds() - cpu0;
        jstat.destroy();
        heapReader.join(5000);
        threadSampler.join();
        return new Taken(heap, threads, cpu);
    }
}
