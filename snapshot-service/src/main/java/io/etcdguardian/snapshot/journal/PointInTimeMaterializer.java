package io.etcdguardian.snapshot.journal;

import io.etcdguardian.common.digest.TrailerDigest;
import io.etcdguardian.common.etcd.KeyCount;
import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalKeys;
import io.etcdguardian.common.journal.JournalReplay;
import io.etcdguardian.common.journal.JournalRevision;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.journal.PointInTimePlan;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.snapshot.capture.Spool;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the snapshot a cluster had at one revision (or the last revision it had at one time) without
 * touching the cluster: the newest usable snapshot at or before it is restored into a scratch member on
 * this host, the journal is replayed onto it one original transaction per revision, and the scratch
 * member's own snapshot is the result. The scratch member goes when the result is taken.
 */
@Singleton
public class PointInTimeMaterializer {
    private static final Logger LOG = LoggerFactory.getLogger(PointInTimeMaterializer.class);

    private final JournalStore journal;
    private final SnapshotCatalog catalog;
    private final SnapshotFetcher fetcher;

    public PointInTimeMaterializer(JournalStore journal, SnapshotCatalog catalog, SnapshotFetcher fetcher) {
        this.journal = journal;
        this.catalog = catalog;
        this.fetcher = fetcher;
    }

    /** A materialised snapshot file and how it was made; {@link #close} deletes the file. */
    public record Materialized(
            Path file,
            PointInTimePlan plan,
            Instant revisionTime,
            long liveKeys,
            long replayedRevisions,
            long replayedBytes,
            Duration took)
            implements AutoCloseable {

        /** Stands for the member a snapshot is taken from: the scratch member, as the manifest will name it. */
        public MemberStatus asMember() {
            long size = size();
            return new MemberStatus(
                    "journal:" + plan.base().snapshotId() + "+"
                            + plan.segments().size() + "-segments@" + plan.targetRevision(),
                    0,
                    0,
                    plan.base().etcdVersion(),
                    size,
                    size,
                    0,
                    0,
                    0,
                    false,
                    plan.targetRevision(),
                    List.of(),
                    null);
        }

        public SnapshotManifest.PointInTime describe() {
            return new SnapshotManifest.PointInTime(
                    plan.epoch().name(),
                    plan.base().snapshotId(),
                    plan.base().revision(),
                    plan.segments().stream().map(JournalKeys.Range::toString).toList(),
                    plan.targetRevision(),
                    revisionTime);
        }

        /** Writes the file into the spool as a capture would, checking its hash trailer. */
        public io.etcdguardian.snapshot.capture.SnapshotCapture.Captured copyInto(Spool spool) {
            TrailerDigest digest = new TrailerDigest(java.io.OutputStream.nullOutputStream());
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                while (in.read(buffer) >= 0) {
                    buffer.flip();
                    if (!buffer.hasRemaining()) {
                        break;
                    }
                    digest.digest(buffer.asReadOnlyBuffer());
                    spool.write(buffer);
                    buffer.clear();
                }
                String sha256 = digest.check();
                spool.finish();
                return new io.etcdguardian.snapshot.capture.SnapshotCapture.Captured(digest.total(), sha256);
            } catch (IOException e) {
                spool.fail(e);
                throw new GuardianException(Reason.INTERNAL, "cannot copy the point-in-time snapshot: " + e, e);
            } catch (TrailerDigest.IntegrityException e) {
                spool.fail(new IOException(e.getMessage()));
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED, "the scratch member's snapshot: " + e.getMessage(), e);
            }
        }

        private long size() {
            try {
                return Files.size(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("cannot delete {}: {}", file, e.toString());
            }
        }
    }

    /**
     * A scratch member is thrown away after one snapshot: it need not survive a crash, so it does not
     * wait for the disk on every transaction ({@code --unsafe-no-fsync}, etcd 3.5 and later).
     */
    public static List<String> scratchFlags(String etcdVersion) {
        java.util.regex.Matcher v =
                java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(etcdVersion == null ? "" : etcdVersion);
        boolean supported = v.find()
                && (Integer.parseInt(v.group(1)) > 3
                        || (Integer.parseInt(v.group(1)) == 3 && Integer.parseInt(v.group(2)) >= 5));
        return supported ? List.of("--unsafe-no-fsync") : List.of();
    }

    /**
     * Where a point-in-time request points: the epoch (its time's; a revision's is the current one) and the
     * revision — its own, or the last one received at or before its time.
     */
    public record Target(JournalStore.EpochAt epoch, long revision) {}

    public Target target(ClusterSpec cluster, BackupRequested request) {
        if (request.toRevision() != null) {
            List<JournalEpoch> epochs = journal.epochs(cluster);
            return new Target(
                    new JournalStore.EpochAt(epochs.get(epochs.size() - 1), Optional.empty()), request.toRevision());
        }
        Instant time = request.toTime();
        if (time.isAfter(Instant.now())) {
            throw new GuardianException(Reason.INVALID_REQUEST, "toTime " + time + " is in the future");
        }
        JournalStore.EpochAt epoch = journal.epochAt(cluster, time);
        long revision = journal.revisionAt(cluster, epoch.epoch(), time)
                .orElseGet(() -> epoch.epoch().snapshots(catalog.list(cluster), epoch.next()).stream()
                        .filter(s -> !s.takenAt().isAfter(time) && !s.drillFailed())
                        .mapToLong(SnapshotManifest::revision)
                        .max()
                        .orElseThrow(() -> new GuardianException(
                                Reason.NOT_FOUND,
                                "neither the journal nor a snapshot of " + cluster.id() + " reaches back to " + time)));
        return new Target(epoch, revision);
    }

    /** What a point-in-time request resolves to: the epoch, the base snapshot and the segments up to the revision. */
    public PointInTimePlan plan(ClusterSpec cluster, BackupRequested request) {
        return plan(cluster, target(cluster, request));
    }

    /** The same, for a target resolved before. */
    public PointInTimePlan plan(ClusterSpec cluster, Target at) {
        JournalEpoch epoch = at.epoch().epoch();
        return PointInTimePlan.of(
                epoch,
                epoch.snapshots(catalog.list(cluster), at.epoch().next()),
                journal.segments(cluster, epoch),
                at.revision());
    }

    /** The scratch member at the plan's revision, while {@link OnScratch#use} runs. */
    public interface OnScratch<T> {
        T use(EtcdCluster scratch, Instant revisionTime, long replayedRevisions, long replayedBytes) throws Exception;
    }

    public Materialized materialise(ClusterSpec cluster, Target target, Path workDir) {
        long t0 = System.nanoTime();
        PointInTimePlan plan = plan(cluster, target);
        Path result = workDir.resolve(
                cluster.id() + "-pit-" + UUID.randomUUID().toString().substring(0, 8) + ".db");
        return onScratch(cluster, plan, workDir, (etcd, revisionTime, replayed, bytes) -> {
            long liveKeys =
                    KeyCount.of(etcd.endpoints(), Duration.ofSeconds(60)).keys();
            etcd.etcdctl("snapshot", "save", result.toString());
            return new Materialized(
                    result, plan, revisionTime, liveKeys, replayed, bytes, Duration.ofNanos(System.nanoTime() - t0));
        });
    }

    /**
     * Restores the plan's base into a scratch member under {@code workDir}, replays the journal up to the
     * plan's revision, hands the running member to {@code use}, then stops and deletes it.
     */
    public <T> T onScratch(ClusterSpec cluster, PointInTimePlan plan, Path workDir, OnScratch<T> use) {
        long target = plan.targetRevision();
        JournalEpoch epoch = plan.epoch();
        LOG.info(
                "point in time {} of {}: snapshot {} (revision {}) and {} journal segments",
                target,
                cluster.id(),
                plan.base().snapshotId(),
                plan.base().revision(),
                plan.segments().size());
        Path scratch = workDir.resolve(
                cluster.id() + "-scratch-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createDirectories(scratch);
            Path db = fetcher.fetch(cluster, plan.base(), scratch.resolve("base.db"));
            EtcdCluster etcd = EtcdCluster.plan(scratch.resolve("etcd"), 1, 0)
                    .withBinaries(EtcdBinaries.dirFor(plan.base().etcdVersion()))
                    .withFlags(scratchFlags(plan.base().etcdVersion()));
            etcd.restoreFrom(db, List.of());
            Files.delete(db);
            etcd.start();
            try (JournalReplay replay = JournalReplay.open(etcd.endpoints().get(0))) {
                Instant revisionTime = plan.base().takenAt();
                long replayed = 0;
                segments:
                for (JournalKeys.Range range : plan.segments()) {
                    for (JournalRevision r : journal.read(cluster, journal.manifest(cluster, epoch, range))) {
                        if (r.revision() > target) {
                            break segments;
                        }
                        if (r.revision() > replay.revision()) {
                            replay.apply(r);
                            revisionTime = r.arrival();
                            replayed++;
                        }
                    }
                }
                if (replay.revision() != target) {
                    throw new GuardianException(
                            Reason.INTEGRITY_FAILED,
                            "the journal replay ended at revision " + replay.revision() + ", not " + target);
                }
                return use.use(etcd, revisionTime, replayed, replay.bytes());
            } finally {
                etcd.stop();
            }
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "point-in-time scratch " + scratch + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.INTERNAL, "interrupted", e);
        } catch (GuardianException e) {
            throw e;
        } catch (Exception e) {
            throw new GuardianException(Reason.INTERNAL, "point-in-time materialisation failed: " + e, e);
        } finally {
            EtcdCluster.deleteRecursively(scratch);
        }
    }
}
