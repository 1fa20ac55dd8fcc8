package io.etcdguardian.common.fleet;

import java.time.Duration;

/**
 * What "backed up" means for a cluster: its newest restorable snapshot (one whose restore drill
 * passed) is younger than {@code maxBackupAge}. guardianctl status, the metric
 * guardian_backup_slo_max_age_seconds and the chart's alert all read it.
 */
public record SloSpec(Duration maxBackupAge) {
    public static final Duration DEFAULT_MAX_BACKUP_AGE = Duration.ofHours(26);

    public static Duration maxBackupAgeOf(ClusterSpec cluster) {
        return cluster.slo() == null || cluster.slo().maxBackupAge() == null
                ? DEFAULT_MAX_BACKUP_AGE
                : cluster.slo().maxBackupAge();
    }
}
