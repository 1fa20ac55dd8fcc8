package io.etcdguardian.scheduler.bench;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.ScheduleSpec;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.scheduler.schedule.Slots;
import io.micronaut.context.ApplicationContext;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the suite. N clusters on minute schedules, one scheduler instance, the real clock: how
 * late each request reaches the topic after its due time (slot + jitter), and what it costs in CPU
 * and heap. Run it as the README says.
 */
@Tag("benchmark")
@ExtendWith(BackplaneExtension.class)
class SchedulerBenchmark {
    @TempDir
    Path dir;

    @Test
    void minuteSchedulesForAFleet(Backplane backplane) throws Exception {
        int clusters = Integer.getInteger("bench.clusters", 1000);
        int minutes = Integer.getInteger("bench.minutes", 2);
        String jitter = System.getProperty("bench.jitter", "30s");
        String run = UUID.randomUUID().toString().substring(0, 6);
        StringBuilder fleet = new StringBuilder("""
                defaults:
                  etcd: { endpoints: [http://127.0.0.1:2379] }
                  store: { bucket: etcd-snapshots }
                  schedule: { cron: "* * * * *", timezone: UTC, jitter: %s }
                clusters:
                """.formatted(jitter));
        for (int i = 0; i < clusters; i++) {
            fleet.append("  - id: b").append(run).append("-").append(i).append('\n');
        }
        Path file = Files.writeString(dir.resolve("fleet.yaml"), fleet);
        Map<String, Long> delaysMs = new java.util.concurrent.ConcurrentHashMap<>();
        long cpuBefore;
        long heapPeak = 0;
        Instant end;
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                        "kafka.bootstrap.servers",
                        backplane.kafka().bootstrapServers(),
                        "guardian.fleet.file",
                        file.toString(),
                        "guardian.fleet.topic.enabled",
                        "false",
                        "guardian.scheduler.in-flight-timeout",
                        "20s",
                        "guardian.scheduler.leader-group",
                        "bench-" + run));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower requests = stream.follow(Topics.BACKUP_REQUESTS)) {
            // wait until every cluster has its baseline, then measure whole minutes
            Thread.sleep(
                    Duration.ofSeconds(70 - Instant.now().getEpochSecond() % 60).toMillis());
            cpuBefore = processCpuNanos();
            Instant start = Instant.now();
            end = start.plus(Duration.ofMinutes(minutes));
            Instant listenUntil = end.plus(io.etcdguardian.common.fleet.Durations.parse(jitter))
                    .plusSeconds(5);
            ScheduleSpec spec =
                    new ScheduleSpec("* * * * *", "UTC", io.etcdguardian.common.fleet.Durations.parse(jitter));
            while (Instant.now().isBefore(listenUntil)) {
                heapPeak = Math.max(
                        heapPeak,
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                requests.await(
                        e -> {
                            if (e instanceof BackupRequested r
                                    && r.clusterId().startsWith("b" + run)
                                    && r.slot() != null
                                    && !r.slot().isBefore(start)
                                    && r.slot().isBefore(end)) {
                                Instant due = new Slots(r.clusterId(), spec).dueAt(r.slot());
                                delaysMs.putIfAbsent(
                                        r.clusterId() + "@" + r.slot(),
                                        Duration.between(due, r.requestedAt()).toMillis());
                            }
                            return true; // taken: nothing stays unclaimed
                        },
                        Duration.ofMillis(500));
            }
            long cpu = processCpuNanos() - cpuBefore;
            List<Long> sorted = new ArrayList<>(delaysMs.values());
            Collections.sort(sorted);
            double seconds = Duration.ofMinutes(minutes).toSeconds();
            System.out.printf(
                    "%nscheduler benchmark: %d clusters, cron * * * * *, jitter %s, %d min, 1 instance, %d cores%n",
                    clusters, jitter, minutes, Runtime.getRuntime().availableProcessors());
            System.out.printf(
                    "requests %d (expected about %d), delay from due time p50 %d ms, p99 %d ms, max %d ms%n",
                    sorted.size(),
                    (long) clusters * minutes,
                    pct(sorted, 0.50),
                    pct(sorted, 0.99),
                    sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1));
            System.out.printf(
                    "process CPU %.1f%% of one core (incl. this test's own consumer), heap peak %d MiB%n%n",
                    100.0 * cpu / 1e9 / seconds, heapPeak >> 20);
        }
    }

    private static long pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
