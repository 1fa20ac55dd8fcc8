package io.etcdguardian.snapshot.retention;

import io.etcdguardian.common.fleet.RetentionSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Which snapshots to keep: the newest {@code keepLast}, plus the newest snapshot of each of the last
 * {@code hourly} hours, {@code daily} days, {@code weekly} ISO weeks and {@code monthly} months
 * (UTC) that have one. Whatever the policy says, the newest restorable snapshot (its drill passed)
 * is kept, so is every snapshot an operation is using, and a cluster that has no restorable
 * snapshot yet keeps everything until one is drilled: deleting then could leave nothing to restore.
 * Without a policy nothing is deleted. A point-in-time snapshot (made from a snapshot and the journal
 * for a restore) stands for no bucket: it is kept {@link #POINT_IN_TIME_KEPT} after it was made, for
 * the restore that asked for it, then deleted; its base and the journal can make it again.
 */
public final class RetentionPolicy {
    public static final java.time.Duration POINT_IN_TIME_KEPT = java.time.Duration.ofHours(24);

    private RetentionPolicy() {}

    /** The ids to delete from {@code manifests} (any order in, oldest first out). */
    public static List<SnapshotManifest> toDelete(List<SnapshotManifest> manifests, RetentionSpec spec) {
        return toDelete(manifests, spec, Set.of());
    }

    /** As above; {@code inUse}: snapshot ids an open restore or a running drill reads, never deleted. */
    public static List<SnapshotManifest> toDelete(
            List<SnapshotManifest> manifests, RetentionSpec spec, Set<String> inUse) {
        if (spec == null || manifests.isEmpty() || manifests.stream().noneMatch(SnapshotManifest::drillPassed)) {
            return List.of();
        }
        java.time.Instant madeBefore = java.time.Instant.now().minus(POINT_IN_TIME_KEPT);
        List<SnapshotManifest> expired = manifests.stream()
                .filter(m -> m.pointInTime() != null
                        && m.completedAt().isBefore(madeBefore)
                        && !inUse.contains(m.snapshotId()))
                .toList();
        List<SnapshotManifest> newestFirst = new ArrayList<>(
                manifests.stream().filter(m -> m.pointInTime() == null).toList());
        newestFirst.sort((a, b) -> b.takenAt().compareTo(a.takenAt()));
        Set<String> keep = new LinkedHashSet<>(inUse);
        newestFirst.stream().filter(SnapshotManifest::drillPassed).findFirst().ifPresent(m -> keep.add(m.snapshotId()));
        newestFirst.stream().limit(orZero(spec.keepLast())).forEach(m -> keep.add(m.snapshotId()));
        keepNewestPerBucket(
                newestFirst,
                orZero(spec.hourly()),
                t -> t.truncatedTo(ChronoUnit.HOURS).toString(),
                keep);
        keepNewestPerBucket(
                newestFirst,
                orZero(spec.daily()),
                t -> t.truncatedTo(ChronoUnit.DAYS).toString(),
                keep);
        keepNewestPerBucket(
                newestFirst,
                orZero(spec.weekly()),
                t -> t.get(IsoFields.WEEK_BASED_YEAR) + "-W" + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR),
                keep);
        keepNewestPerBucket(newestFirst, orZero(spec.monthly()), t -> t.getYear() + "-" + t.getMonthValue(), keep);
        List<SnapshotManifest> delete = new ArrayList<>(
                newestFirst.stream().filter(m -> !keep.contains(m.snapshotId())).toList());
        delete.addAll(expired);
        delete.sort((a, b) -> a.takenAt().compareTo(b.takenAt()));
        return delete;
    }

    private static void keepNewestPerBucket(
            List<SnapshotManifest> newestFirst,
            int buckets,
            Function<ZonedDateTime, String> bucketOf,
            Set<String> keep) {
        Set<String> seen = new HashSet<>();
        for (SnapshotManifest m : newestFirst) {
            if (seen.size() >= buckets) {
                return;
            }
            // a snapshot whose drill failed never stands for its bucket: a bucket's only copy must restore
            if (!m.drillFailed() && seen.add(bucketOf.apply(utc(m.takenAt())))) {
                keep.add(m.snapshotId());
            }
        }
    }

    private static ZonedDateTime utc(Instant at) {
        return at.atZone(ZoneOffset.UTC);
    }

    private static int orZero(Integer value) {
        return value == null ? 0 : value;
    }
}
