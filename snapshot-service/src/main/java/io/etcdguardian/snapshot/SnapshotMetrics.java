package io.etcdguardian.snapshot;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Snapshot metrics (docs/metrics.md): duration and bytes per cluster and result, failures by reason,
 * and the time of the last success, which alerts on when backups silently stop.
 */
@Singleton
public class SnapshotMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();

    public SnapshotMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void succeeded(String cluster, Duration took, long rawBytes, long storedBytes, Instant at) {
        Timer.builder("guardian.snapshot.duration")
                .tag("cluster", cluster)
                .tag("result", "success")
                .register(registry)
                .record(took);
        registry.counter("guardian.snapshot.bytes", "cluster", cluster, "kind", "raw")
                .increment(rawBytes);
        registry.counter("guardian.snapshot.bytes", "cluster", cluster, "kind", "stored")
                .increment(storedBytes);
        lastSuccess
                .computeIfAbsent(
                        cluster,
                        c -> registry.gauge(
                                "guardian.snapshot.last.success.timestamp",
                                java.util.List.of(io.micrometer.core.instrument.Tag.of("cluster", c)),
                                new AtomicLong()))
                .set(at.getEpochSecond());
    }

    public void failed(String cluster, Duration took, String reason) {
        Timer.builder("guardian.snapshot.duration")
                .tag("cluster", cluster)
                .tag("result", "failure")
                .register(registry)
                .record(took);
        registry.counter("guardian.snapshot.failures", "cluster", cluster, "reason", reason)
                .increment();
    }
}
