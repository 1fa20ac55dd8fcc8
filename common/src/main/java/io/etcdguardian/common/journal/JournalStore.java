package io.etcdguardian.common.journal;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import io.etcdguardian.common.digest.Sha256;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.SnapshotEncryption;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import jakarta.inject.Singleton;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;

/**
 * Writes and reads a cluster's journal in its snapshot store: segments compressed (zstd) and encrypted
 * (the cluster's snapshot key, bound to the cluster and the range) like snapshots, each committed by its
 * manifest, written after the object. A listing of manifest keys gives the ranges without reading them.
 */
@Singleton
public class JournalStore {
    private static final int ZSTD_LEVEL = 3;

    private final SnapshotStores stores;
    private final EncryptionKeys keys;

    public JournalStore(SnapshotStores stores, EncryptionKeys keys) {
        this.stores = stores;
        this.keys = keys;
    }

    /** Whether the cluster has a journal at all: one listing call (its first page), whatever the journal holds. */
    public boolean exists(ClusterSpec cluster) {
        String prefix = JournalKeys.prefix(cluster);
        return stores.of(cluster).listUpTo(prefix, prefix).more();
    }

    /** The cluster's epochs, oldest first: the first always, then one per history a restore began. */
    public List<JournalEpoch> epochs(ClusterSpec cluster) {
        List<JournalEpoch> epochs = new java.util.ArrayList<>(List.of(JournalEpoch.FIRST));
        for (SnapshotStore.Entry e : stores.of(cluster).list(JournalKeys.epochsPrefix(cluster))) {
            stores.of(cluster).read(e.key()).ifPresent(json -> {
                try {
                    epochs.add(EventJson.MAPPER.readValue(json, JournalEpoch.class));
                } catch (IOException unreadable) {
                    throw new GuardianException(
                            Reason.INTEGRITY_FAILED,
                            "journal epoch marker " + e.key() + " is not readable",
                            unreadable);
                }
            });
        }
        epochs.sort(java.util.Comparator.comparing(JournalEpoch::name));
        return epochs;
    }

    /** The epoch new segments go to: the newest. */
    public JournalEpoch currentEpoch(ClusterSpec cluster) {
        List<JournalEpoch> epochs = epochs(cluster);
        return epochs.get(epochs.size() - 1);
    }

    /** The epoch {@code time} falls in, and the one after it (whose start ends it), if any. */
    public record EpochAt(JournalEpoch epoch, java.util.Optional<JournalEpoch> next) {}

    public EpochAt epochAt(ClusterSpec cluster, Instant time) {
        List<JournalEpoch> epochs = epochs(cluster);
        int i = epochs.size() - 1;
        while (i > 0 && epochs.get(i).startedAt().isAfter(time)) {
            i--;
        }
        return new EpochAt(
                epochs.get(i),
                i + 1 < epochs.size() ? java.util.Optional.of(epochs.get(i + 1)) : java.util.Optional.empty());
    }

    /** Marks a new epoch; segments written after go under it. */
    public JournalEpoch startEpoch(ClusterSpec cluster, String reason) {
        JournalEpoch epoch = JournalEpoch.startingAt(Instant.now(), reason);
        stores.of(cluster).write(JournalKeys.epochMarker(cluster, epoch), json(epoch), "application/json");
        return epoch;
    }

    /** Stores {@code revisions} (consecutive, non-empty) as one segment; returns its manifest once committed. */
    public SegmentManifest commit(
            ClusterSpec cluster, JournalEpoch epoch, long etcdClusterId, List<JournalRevision> revisions) {
        JournalKeys.Range range = new JournalKeys.Range(
                revisions.get(0).revision(), revisions.get(revisions.size() - 1).revision());
        byte[] raw = SegmentCodec.encode(revisions);
        SnapshotEncryption encryption = keys.forCluster(cluster).orElse(null);
        byte[] stored =
                encryption == null ? Zstd.compress(raw, ZSTD_LEVEL) : encrypt(encryption, cluster, epoch, range, raw);
        String objectKey = JournalKeys.data(cluster, epoch, range, encryption != null);
        SegmentManifest manifest = new SegmentManifest(
                cluster.id(),
                epoch.name(),
                Long.toHexString(etcdClusterId),
                range.from(),
                range.to(),
                revisions.stream().mapToInt(r -> r.events().size()).sum(),
                revisions.get(0).arrival(),
                revisions.get(revisions.size() - 1).arrival(),
                objectKey,
                raw.length,
                stored.length,
                sha256(stored),
                "zstd",
                encryption == null ? null : encryption.describe(),
                Instant.now());
        SnapshotStore store = stores.of(cluster);
        store.write(objectKey, stored, "application/octet-stream");
        store.write(JournalKeys.manifest(cluster, epoch, range), json(manifest), "application/json");
        return manifest;
    }

    /** The committed segments' ranges, by revision; overlapping ranges (two writers for a moment) hold the same events. */
    public List<JournalKeys.Range> segments(ClusterSpec cluster, JournalEpoch epoch) {
        return stores.of(cluster).list(JournalKeys.manifestsPrefix(cluster, epoch)).stream()
                .map(e -> JournalKeys.rangeOf(e.key()))
                .flatMap(java.util.Optional::stream)
                .sorted()
                .toList();
    }

    public SegmentManifest manifest(ClusterSpec cluster, JournalEpoch epoch, JournalKeys.Range range) {
        byte[] json = stores.of(cluster)
                .read(JournalKeys.manifest(cluster, epoch, range))
                .orElseThrow(() -> new GuardianException(
                        Reason.NOT_FOUND, "journal segment " + range + " of " + cluster.id() + " is gone"));
        try {
            return EventJson.MAPPER.readValue(json, SegmentManifest.class);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED, "journal segment " + range + "'s manifest is not readable", e);
        }
    }

    /** A segment's revisions, checked against its manifest: the stored bytes' SHA-256, then the range they hold. */
    public List<JournalRevision> read(ClusterSpec cluster, SegmentManifest manifest) {
        byte[] stored;
        try (InputStream in = stores.of(cluster).open(manifest.objectKey())) {
            stored = in.readAllBytes();
        } catch (IOException e) {
            throw new GuardianException(Reason.STORE_UNAVAILABLE, "cannot read journal segment " + manifest.range(), e);
        } catch (GuardianException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreErrors.translate(
                    "download " + manifest.objectKey(), cluster.store().bucket(), e);
        }
        String sha256 = sha256(stored);
        if (!sha256.equals(manifest.sha256())) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "journal segment " + manifest.range() + " has SHA-256 " + sha256 + ", its manifest says "
                            + manifest.sha256());
        }
        List<JournalRevision> revisions;
        try (InputStream plain = manifest.encryption() == null
                        ? new ByteArrayInputStream(stored)
                        : keys.snapshotKeys(cluster)
                                .orElseThrow(() -> new GuardianException(
                                        Reason.PRECONDITION_FAILED,
                                        "journal segment " + manifest.range() + " is encrypted with key "
                                                + manifest.encryption().keyId()
                                                + " but the cluster has no key configured"))
                                .require(manifest.encryption().keyId(), "journal segment " + manifest.range())
                                .decrypt(
                                        new ByteArrayInputStream(stored),
                                        cluster.id(),
                                        JournalKeys.encryptionContext(manifest.epoch(), manifest.range()));
                InputStream raw = new ZstdInputStream(plain)) {
            revisions = SegmentCodec.decode(raw);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "journal segment " + manifest.range() + " cannot be read back (" + e.getMessage() + ")",
                    e);
        }
        long expected = manifest.fromRevision();
        for (JournalRevision r : revisions) {
            if (r.revision() != expected++) {
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED,
                        "journal segment " + manifest.range() + " holds revision " + r.revision() + " where "
                                + (expected - 1) + " belongs");
            }
        }
        if (expected - 1 != manifest.toRevision()) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "journal segment " + manifest.range() + " ends at revision " + (expected - 1));
        }
        return revisions;
    }

    /**
     * The last revision the journal received at or before {@code time}: a binary search over the segments'
     * manifests (their arrival times rise with their revisions), then the one segment that holds it. Empty
     * when the journal's first revision came after {@code time}.
     */
    public java.util.OptionalLong revisionAt(ClusterSpec cluster, JournalEpoch epoch, Instant time) {
        List<JournalKeys.Range> segments = segments(cluster, epoch);
        int lo = 0;
        int hi = segments.size() - 1;
        SegmentManifest found = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            SegmentManifest m = manifest(cluster, epoch, segments.get(mid));
            if (m.firstArrival().isAfter(time)) {
                hi = mid - 1;
            } else {
                found = m;
                lo = mid + 1;
            }
        }
        if (found == null) {
            return java.util.OptionalLong.empty();
        }
        if (!found.lastArrival().isAfter(time)) {
            return java.util.OptionalLong.of(found.toRevision());
        }
        long last = found.fromRevision();
        for (JournalRevision r : read(cluster, found)) {
            if (r.arrival().isAfter(time)) {
                break;
            }
            last = r.revision();
        }
        return java.util.OptionalLong.of(last);
    }

    /** When the journal received {@code revision}; empty when no committed segment holds it. */
    public java.util.Optional<Instant> arrivalOf(ClusterSpec cluster, JournalEpoch epoch, long revision) {
        return segments(cluster, epoch).stream()
                .filter(r -> r.contains(revision))
                .findFirst()
                .flatMap(range -> read(cluster, manifest(cluster, epoch, range)).stream()
                        .filter(r -> r.revision() == revision)
                        .map(JournalRevision::arrival)
                        .findFirst());
    }

    public void recordGap(ClusterSpec cluster, JournalEpoch epoch, JournalGap gap) {
        stores.of(cluster).write(JournalKeys.gap(cluster, epoch, gap.range()), json(gap), "application/json");
    }

    public List<JournalKeys.Range> gaps(ClusterSpec cluster, JournalEpoch epoch) {
        return stores.of(cluster).list(JournalKeys.gapsPrefix(cluster, epoch)).stream()
                .map(e -> JournalKeys.rangeOf(e.key()))
                .flatMap(java.util.Optional::stream)
                .sorted()
                .toList();
    }

    /**
     * What the epoch's journal makes restorable, from the store: its segments, gaps and the snapshots among
     * {@code all} taken while it lasts. Empty when the epoch holds neither segment nor gap.
     */
    public java.util.Optional<JournalCoverage> coverage(
            ClusterSpec cluster, JournalEpoch epoch, List<io.etcdguardian.common.snapshot.SnapshotManifest> all) {
        List<JournalKeys.Range> segments = segments(cluster, epoch);
        List<JournalKeys.Range> gaps = gaps(cluster, epoch);
        if (segments.isEmpty() && gaps.isEmpty()) {
            return java.util.Optional.empty();
        }
        Instant lastArrival = segments.stream()
                .max(java.util.Comparator.comparingLong(JournalKeys.Range::to))
                .map(newest -> manifest(cluster, epoch, newest).lastArrival())
                .orElse(null);
        return java.util.Optional.of(JournalCoverage.of(
                cluster.id(), epoch, epoch.snapshots(all, java.util.Optional.empty()), segments, gaps, lastArrival));
    }

    /**
     * What {@link #prune} removed: segment manifests, segment data (including data a crash left after its
     * manifest went, and data of a commit that never wrote its manifest), and gaps.
     */
    public record Pruned(int segments, int data, int gaps) {
        public boolean any() {
            return segments + data + gaps > 0;
        }
    }

    /**
     * Deletes the epoch's segments and gaps that end at or before {@code throughRevision}: the manifests
     * first, so no reader ever finds a committed segment without its data; then the data up to there —
     * theirs, and any a commit left without a manifest —, then the gaps. Repeating it after a crash at any
     * point finishes the job. Lists no key past {@code throughRevision}: the keys sort by revision, and a
     * week of segments must not be read to delete an hour of them. {@code keepNewest}: the epoch's newest
     * segment stays whatever its range (a writer resuming the epoch reads it for the revision to go on from
     * and the etcd cluster id to expect).
     */
    public Pruned prune(ClusterSpec cluster, JournalEpoch epoch, long throughRevision, boolean keepNewest) {
        SnapshotStore store = stores.of(cluster);
        SnapshotStore.Listing manifests = store.listUpTo(
                JournalKeys.manifestsPrefix(cluster, epoch),
                JournalKeys.manifestsUpTo(cluster, epoch, throughRevision));
        List<JournalKeys.Range> ranges = manifests.entries().stream()
                .map(e -> JournalKeys.rangeOf(e.key()))
                .flatMap(java.util.Optional::stream)
                .toList();
        // with nothing listed past the cut, the listing holds the epoch's newest segment
        java.util.Optional<JournalKeys.Range> newest = keepNewest && !manifests.more()
                ? ranges.stream().max(java.util.Comparator.comparingLong(JournalKeys.Range::to))
                : java.util.Optional.empty();
        java.util.Set<JournalKeys.Range> kept = new java.util.HashSet<>();
        List<String> uncommit = new java.util.ArrayList<>();
        for (JournalKeys.Range range : ranges) {
            if (range.to() <= throughRevision && !newest.equals(java.util.Optional.of(range))) {
                uncommit.add(JournalKeys.manifest(cluster, epoch, range));
            } else {
                kept.add(range);
            }
        }
        store.deleteAll(uncommit);
        Failpoints.hit("journal.prune.uncommitted");
        List<String> data = store
                .listUpTo(JournalKeys.dataPrefix(cluster, epoch), JournalKeys.dataUpTo(cluster, epoch, throughRevision))
                .entries()
                .stream()
                .filter(e -> JournalKeys.rangeOfData(e.key())
                        .map(r -> r.to() <= throughRevision && !kept.contains(r))
                        .orElse(false))
                .map(SnapshotStore.Entry::key)
                .toList();
        store.deleteAll(data);
        List<String> gaps = store
                .listUpTo(JournalKeys.gapsPrefix(cluster, epoch), JournalKeys.gapsUpTo(cluster, epoch, throughRevision))
                .entries()
                .stream()
                .filter(e -> JournalKeys.rangeOf(e.key())
                        .map(r -> r.to() <= throughRevision)
                        .orElse(false))
                .map(SnapshotStore.Entry::key)
                .toList();
        store.deleteAll(gaps);
        return new Pruned(uncommit.size(), data.size(), gaps.size());
    }

    private static byte[] encrypt(
            SnapshotEncryption encryption,
            ClusterSpec cluster,
            JournalEpoch epoch,
            JournalKeys.Range range,
            byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 1024);
        try (OutputStream sealed =
                encryption.encrypt(out, cluster.id(), JournalKeys.encryptionContext(epoch.name(), range))) {
            sealed.write(Zstd.compress(raw, ZSTD_LEVEL));
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot encrypt journal segment " + range, e);
        }
        return out.toByteArray();
    }

    private static String sha256(byte[] bytes) {
        java.security.MessageDigest digest = Sha256.newDigest();
        digest.update(bytes);
        return Sha256.hex(digest);
    }

    private static byte[] json(Object value) {
        try {
            return EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTERNAL, "cannot write " + value.getClass().getSimpleName(), e);
        }
    }
}
