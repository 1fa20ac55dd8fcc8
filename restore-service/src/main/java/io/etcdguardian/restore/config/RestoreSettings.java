package io.etcdguardian.restore.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.time.Duration;

/** {@code guardian.restore.*}. */
@ConfigurationProperties("guardian.restore")
public record RestoreSettings(
        @Nullable String spoolDir,
        @Bindable(defaultValue = "15m") Duration presignExpiry,
        @Bindable(defaultValue = "20m") Duration waitTimeout,
        @Bindable(defaultValue = "2s") Duration waitInterval,
        @Bindable(defaultValue = "true") boolean keepOldData,
        // the request consumer's group; its one default is in application.yml
        String group,
        // clusters this replica restores at once; one cluster's requests always run one at a time, in order
        @Bindable(defaultValue = "4") int concurrency,
        @Bindable(defaultValue = "true") boolean backupFirst,
        @Bindable(defaultValue = "30m") Duration backupFirstTimeout,
        @Bindable(defaultValue = "2s") Duration progressInterval,
        @Bindable(defaultValue = "true") boolean stagedEncryption,
        @Bindable(defaultValue = "1") int stagedExpiryDays,
        // restores at once per storage domain (the fleet's storageDomain), across every replica
        @Bindable(defaultValue = "2") int domainRestores,
        // how long a restore waits for a slot of its storage domain before it is refused BUSY (retriable)
        @Bindable(defaultValue = "30m") Duration domainWait) {

    public RestoreSettings {
        // a placeholder in @Bindable's default is not resolved: it became a directory named "${java.io.tmpdir}"
        spoolDir = spoolDir == null || spoolDir.isBlank()
                ? Path.of(System.getProperty("java.io.tmpdir"), "guardian-restore")
                        .toString()
                : spoolDir;
        if (domainRestores < 1 || domainRestores > 64) {
            throw new IllegalArgumentException("guardian.restore.domain-restores: must be 1..64");
        }
        if (domainWait.isNegative()) {
            throw new IllegalArgumentException("guardian.restore.domain-wait: must not be negative");
        }
        if (concurrency < 1 || concurrency > 64) {
            throw new IllegalArgumentException("guardian.restore.concurrency: must be 1..64");
        }
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("guardian.restore.group: must name the consumer group");
        }
        if (presignExpiry.compareTo(Duration.ofMinutes(1)) < 0 || presignExpiry.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException(
                    "guardian.restore.presign-expiry: must be between 1m and 7d (S3's limit)");
        }
        if (backupFirstTimeout.isNegative() || backupFirstTimeout.isZero()) {
            throw new IllegalArgumentException("guardian.restore.backup-first-timeout: must be positive");
        }
        if (progressInterval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("guardian.restore.progress-interval: must be at least 100ms");
        }
        if (stagedExpiryDays < 1) {
            throw new IllegalArgumentException(
                    "guardian.restore.staged-expiry-days: must be at least 1 (S3 lifecycle's unit)");
        }
        if (waitTimeout.isNegative() || waitTimeout.isZero()) {
            throw new IllegalArgumentException("guardian.restore.wait-timeout: must be positive");
        }
    }
}
