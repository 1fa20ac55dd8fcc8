package io.etcdguardian.common.catalog;

import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A cluster's snapshots in a few lines, as the fleet catalogue keeps them: computed from the
 * manifests in the store (the source of truth), so the catalogue can always be rebuilt from them.
 *
 * @param newest the newest committed snapshot, drilled or not
 * @param newestRestorable the newest whose restore drill passed: what a restore takes by default
 * @param snapshots committed snapshots held
 * @param storedBytes their objects' size as stored (compressed, encrypted)
 */
public record CatalogEntry(
        String clusterId,
        Summary newest,
        Summary newestRestorable,
        int snapshots,
        long storedBytes,
        Instant oldestTakenAt) {

    /** One snapshot: when it was taken and committed, how big, and its drill (null: not drilled yet). */
    public record Summary(
            String snapshotId,
            Instant takenAt,
            Instant completedAt,
            long revision,
            long sizeRaw,
            long sizeStored,
            String drill,
            Instant drilledAt) {
        /** When it was committed (its capture began, for manifests that do not say). */
        public Instant committedAt() {
            return completedAt == null ? takenAt : completedAt;
        }

        static Summary of(SnapshotManifest m) {
            return new Summary(
                    m.snapshotId(),
                    m.takenAt(),
                    m.completedAt(),
                    m.revision(),
                    m.sizeRaw(),
                    m.sizeStored(),
                    m.drill() == null ? null : m.drill().result().name(),
                    m.drill() == null ? null : m.drill().at());
        }
    }

    /** From a cluster's committed manifests, oldest first, as {@code SnapshotCatalog.list} returns them. */
    public static CatalogEntry of(String clusterId, List<SnapshotManifest> manifests) {
        SnapshotManifest restorable = null;
        long stored = 0;
        for (SnapshotManifest m : manifests) {
            stored += m.sizeStored();
            if (m.drillPassed()) {
                restorable = m;
            }
        }
        return new CatalogEntry(
                clusterId,
                manifests.isEmpty() ? null : Summary.of(manifests.get(manifests.size() - 1)),
                restorable == null ? null : Summary.of(restorable),
                manifests.size(),
                stored,
                manifests.isEmpty() ? null : manifests.get(0).takenAt());
    }

    /**
     * How long the newest snapshot has waited for its restore drill: zero once drilled (passed or
     * failed), zero without snapshots. What {@code drill.max-lag} bounds.
     */
    public Duration drillLag(Instant now) {
        if (!waitsForDrill()) {
            return Duration.ZERO;
        }
        Instant committed = newest.committedAt();
        return committed.isAfter(now) ? Duration.ZERO : Duration.between(committed, now);
    }

    /** Its newest snapshot has not been drilled yet. */
    public boolean waitsForDrill() {
        return newest != null && newest.drill() == null;
    }
}
