package io.etcdguardian.snapshot.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code guardian.snapshot.*}: how snapshots are captured and uploaded. Checked at start-up; a bad
 * value fails the service with the property's name.
 */
@ConfigurationProperties("guardian.snapshot")
public record SnapshotSettings(
        // the request consumer's group; its one default is in application.yml
        String group,
        // clusters this replica snapshots at once (0: from the machine, 2 per CPU, 2..16); one cluster's requests
        // always run one at a time, in order
        @Bindable(defaultValue = "0") int concurrency,
        @Nullable String spoolDir,
        @Bindable(defaultValue = "8388608") int partSizeBytes,
        @Bindable(defaultValue = "3") int uploadConcurrency,
        // uploads of this replica that stream at once; more wait their turn, their captures going on into the spool
        @Bindable(defaultValue = "4") int uploadStreams,
        @Bindable(defaultValue = "zstd") String compression,
        @Bindable(defaultValue = "1") int zstdLevel,
        @Bindable(defaultValue = "1") int zstdWorkers,
        @Bindable(defaultValue = "4") int partAttempts,
        @Bindable(defaultValue = "500ms") Duration partRetryBackoff,
        @Bindable(defaultValue = "3") int attempts,
        @Bindable(defaultValue = "5s") Duration retryBackoff,
        @Bindable(defaultValue = "60s") Duration baseTimeout,
        @Bindable(defaultValue = "20000000") long minThroughputBytesPerSecond,
        @Bindable(defaultValue = "6h") Duration maxTimeout,
        @Bindable(defaultValue = "1000") long maxFollowerLag,
        @Bindable(defaultValue = "1.2") double spoolHeadroom,
        @Bindable(defaultValue = "true") boolean uploadDuringCapture,
        @Bindable(defaultValue = "2s") Duration progressInterval,
        @Bindable(defaultValue = "2147483648") long drillAfterCaptureMaxBytes,
        // scheduled drills this replica runs at once, longest-waiting cluster first
        @Bindable(defaultValue = "1") int drillConcurrency,
        // every cluster's newest snapshot is drilled within this; longer is logged, and shown by the drill-lag metric
        @Bindable(defaultValue = "1h") Duration drillMaxLag,
        @Bindable(defaultValue = "30s") Duration abortRetryInterval,
        // a manifest-less object or multipart upload younger than this may belong to an upload still running
        @Bindable(defaultValue = "24h") Duration orphanAge) {

    public SnapshotSettings {
        // a placeholder in @Bindable's default is not resolved: it became a directory named "${java.io.tmpdir}"
        spoolDir = spoolDir == null || spoolDir.isBlank()
                ? Path.of(System.getProperty("java.io.tmpdir"), "guardian-spool")
                        .toString()
                : spoolDir;
        require(group != null && !group.isBlank(), "group", "must name the consumer group");
        require(concurrency >= 0 && concurrency <= 256, "concurrency", "must be 0 (from the machine) or 1..256");
        concurrency = concurrency > 0
                ? concurrency
                : Math.max(2, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));
        require(!orphanAge.isNegative() && !orphanAge.isZero(), "orphan-age", "must be positive");
        require(partSizeBytes >= 5 * 1024 * 1024, "part-size-bytes", "must be at least 5 MiB (S3's minimum part size)");
        require(uploadConcurrency >= 1 && uploadConcurrency <= 32, "upload-concurrency", "must be 1..32");
        require(uploadStreams >= 1 && uploadStreams <= 64, "upload-streams", "must be 1..64");
        require(compression.equals("zstd") || compression.equals("none"), "compression", "must be zstd or none");
        require(zstdLevel >= 1 && zstdLevel <= 19, "zstd-level", "must be 1..19");
        require(zstdWorkers >= 0, "zstd-workers", "must not be negative");
        require(partAttempts >= 1 && attempts >= 1, "attempts", "must be at least 1");
        require(minThroughputBytesPerSecond > 0, "min-throughput-bytes-per-second", "must be positive");
        require(spoolHeadroom >= 1.0, "spool-headroom", "must be at least 1.0");
        require(progressInterval.compareTo(Duration.ofMillis(100)) >= 0, "progress-interval", "must be at least 100ms");
        require(drillConcurrency >= 1 && drillConcurrency <= 16, "drill-concurrency", "must be 1..16");
        require(drillMaxLag.compareTo(Duration.ofMinutes(1)) >= 0, "drill-max-lag", "must be at least 1m");
        require(drillAfterCaptureMaxBytes >= 0, "drill-after-capture-max-bytes", "must not be negative (0: off)");
    }

    private static void require(boolean ok, String property, String reason) {
        if (!ok) {
            throw new IllegalArgumentException("guardian.snapshot." + property + ": " + reason);
        }
    }

    /**
     * The capture deadline scales with the database: fixed 30/60 s timeouts broke every tool that had
     * them once databases grew. Base + size at the slowest acceptable rate, capped.
     */
    public Duration deadlineFor(long dbSizeBytes) {
        Duration scaled = baseTimeout.plusMillis(dbSizeBytes * 1000 / minThroughputBytesPerSecond);
        return scaled.compareTo(maxTimeout) > 0 ? maxTimeout : scaled;
    }
}
