package io.etcdguardian.health.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/** {@code guardian.health.*}. */
@ConfigurationProperties("guardian.health")
public record HealthSettings(
        // the request consumer's group; its one default is in application.yml
        String group,
        // clusters this replica defragments at once (bounds the I/O it causes); one cluster's requests one at a time
        @Bindable(defaultValue = "2") int concurrency,
        // how long a defrag on a partition that moves to another replica is awaited before the partition is let go
        // (the new owner then resumes it and this replica's run fences itself off)
        @Bindable(defaultValue = "2h") Duration revokeTimeout,
        // the Alertmanager label that names the fleet cluster an alert is about
        @Bindable(defaultValue = "cluster") String alertClusterLabel,
        @Bindable(defaultValue = "10s") Duration pollInterval,
        @Bindable(defaultValue = "8") int pollThreads,
        @Bindable(defaultValue = "6h") Duration defragCooldown,
        @Bindable(defaultValue = "100000000") long defragMinDbBytes,
        @Bindable(defaultValue = "0.45") double defragMinFragmentation,
        @Bindable(defaultValue = "0.8") double defragMaxQuotaUse,
        // the most a member may take to settle after its defragmentation (a condition: see DefragWorkflow)
        @Bindable(defaultValue = "60s") Duration settle,
        @Bindable(defaultValue = "60s") Duration memberTimeoutBase,
        @Bindable(defaultValue = "20000000") long memberTimeoutBytesPerSecond,
        @Bindable(defaultValue = "0") long keepRevisions,
        @Bindable(defaultValue = "0.9") double disarmBelowQuotaRatio,
        @Bindable(defaultValue = "2") int memberAttempts,
        @Bindable(defaultValue = "true") boolean snapshotFirst,
        @Bindable(defaultValue = "30m") Duration snapshotTimeout,
        // false: watch and report only — an operator (or another system) asks for every defrag and heal
        @Bindable(defaultValue = "true") boolean autoMaintenance,
        // a fixed pause between members on top of the condition, for who wants the seed's "wait a while"
        @Bindable(defaultValue = "0s") Duration settleMin,
        // plain defrags compact too (to the head minus keep-revisions); NOSPACE heals always compact to the head
        @Bindable(defaultValue = "false") boolean defragCompacts,
        // defrags at once per storage domain (the fleet's storageDomain), across every replica
        @Bindable(defaultValue = "1") int domainDefrags,
        // how long a defrag waits for a slot of its storage domain before it is refused BUSY (retriable)
        @Bindable(defaultValue = "30m") Duration domainWait) {

    public HealthSettings {
        require(group != null && !group.isBlank(), "group", "must name the consumer group");
        require(
                alertClusterLabel.matches("[a-zA-Z_][a-zA-Z0-9_]*"),
                "alert-cluster-label",
                "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)");
        require(
                pollInterval != null && !pollInterval.isNegative() && !pollInterval.isZero(),
                "poll-interval",
                "must be positive");
        require(pollThreads >= 1, "poll-threads", "must be at least 1");
        require(concurrency >= 1 && concurrency <= 64, "concurrency", "must be 1..64");
        require(!revokeTimeout.isNegative(), "revoke-timeout", "must not be negative");
        require(
                !settleMin.isNegative() && settleMin.compareTo(settle) <= 0,
                "settle-min",
                "must be between 0 and settle");
        require(domainDefrags >= 1 && domainDefrags <= 64, "domain-defrags", "must be 1..64");
        require(!domainWait.isNegative(), "domain-wait", "must not be negative");
        require(memberAttempts >= 1, "member-attempts", "must be at least 1");
        require(keepRevisions >= 0, "keep-revisions", "must not be negative");
        require(
                disarmBelowQuotaRatio > 0 && disarmBelowQuotaRatio <= 1,
                "disarm-below-quota-ratio",
                "must be in (0, 1]");
        require(
                defragMinFragmentation > 0 && defragMinFragmentation <= 1,
                "defrag-min-fragmentation",
                "must be in (0, 1]");
        require(defragMaxQuotaUse > 0 && defragMaxQuotaUse <= 1, "defrag-max-quota-use", "must be in (0, 1]");
        require(memberTimeoutBytesPerSecond > 0, "member-timeout-bytes-per-second", "must be positive");
    }

    /** A defrag rewrites the whole database: its timeout grows with the size, as the snapshot's does. */
    public Duration memberTimeout(long dbSize) {
        return memberTimeoutBase.plusMillis(dbSize * 1000 / memberTimeoutBytesPerSecond);
    }

    private static void require(boolean ok, String key, String reason) {
        if (!ok) {
            throw new IllegalArgumentException("guardian.health." + key + ": " + reason);
        }
    }
}
