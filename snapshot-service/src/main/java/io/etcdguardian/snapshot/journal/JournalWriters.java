package io.etcdguardian.snapshot.journal;

import io.etcd.jetcd.Client;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.JournalGapRecorded;
import io.etcdguardian.common.event.JournalSegmentCommitted;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.journal.JournalCoverage;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalGap;
import io.etcdguardian.common.journal.JournalKeys;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.journal.SegmentManifest;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.work.WorkerPool;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One journal writer per cluster this replica owns (the partitions of its backup requests, so one replica
 * fleet-wide), started where the store's journal ends — after its last segment or gap, else after the
 * newest snapshot — so a writer killed or moved resumes without a hole or a repeat. Commits run on a
 * bounded pool, one at a time per cluster. A compaction the writer could not outrun is recorded as a gap
 * (object, event) and, unless a snapshot already covers it, a snapshot is asked for at once.
 */
@Singleton
@Requires(property = "guardian.journal.enabled", value = "true")
public class JournalWriters {
    private static final Logger LOG = LoggerFactory.getLogger(JournalWriters.class);
    // a revision of many 1.5 MiB values arrives as one watch message
    private static final int MAX_MESSAGE_BYTES = 512 << 20;

    private final FleetRegistry fleet;
    private final OwnedClusters owned;
    private final EtcdClients clients;
    private final JournalStore store;
    private final SnapshotCatalog catalog;
    private final EventPublisher events;
    private final JournalSettings settings;
    private final FleetCatalog fleetCatalog;
    private final WorkerPool pool;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong buffered = new java.util.concurrent.atomic.AtomicLong();

    /** Per cluster: its writer and client, whether a start or commit runs for it, when to try again. */
    private static final class Slot {
        volatile JournalWriter writer;
        volatile Client client;
        volatile boolean busy;
        volatile Instant retryAt = Instant.EPOCH;
        volatile long restartAt = -1;
        volatile long committed;
        volatile int failedCommits;
        volatile JournalEpoch epoch;
        volatile Instant historyCheckedAt = Instant.EPOCH;
        volatile Instant baseAskedAt = Instant.EPOCH;
        volatile JournalCoverage coverage;
        volatile Instant coveragePublishedAt = Instant.EPOCH;
        // extended by a commit and not put into the catalogue yet (at most once per catalog-interval)
        volatile boolean coverageDirty;
        // retention deleted segments: the coverage's start is listed afresh
        volatile boolean recount;
    }

    public JournalWriters(
            FleetRegistry fleet,
            OwnedClusters owned,
            EtcdClients clients,
            JournalStore store,
            SnapshotCatalog catalog,
            EventPublisher events,
            JournalSettings settings,
            FleetCatalog fleetCatalog) {
        this.fleetCatalog = fleetCatalog;
        this.fleet = fleet;
        this.owned = owned;
        this.clients = clients;
        this.store = store;
        this.catalog = catalog;
        this.events = events;
        this.settings = settings;
        this.pool = new WorkerPool("journal", settings.commitThreads());
        LOG.info(
                "journal on: a segment every {} or {} bytes, at most {} bytes received and not committed, {} commits"
                        + " at once",
                settings.segmentInterval(),
                settings.segmentBytes(),
                settings.maxBufferedBytes(),
                settings.commitThreads());
    }

    @Scheduled(fixedDelay = "${guardian.journal.tick:100ms}", initialDelay = "1s")
    void tick() {
        Instant now = Instant.now();
        Set<String> mine = new HashSet<>();
        for (ClusterSpec cluster : fleet.current().all()) {
            if (!owned.owns(cluster.id())) {
                continue;
            }
            mine.add(cluster.id());
            Slot slot = slots.computeIfAbsent(cluster.id(), k -> new Slot());
            if (slot.busy || now.isBefore(slot.retryAt)) {
                continue;
            }
            JournalWriter writer = slot.writer;
            if (writer == null) {
                run(slot, () -> start(cluster, slot));
            } else if (writer.hasBuffered()
                    && (writer.commitDue(now) || writer.stopped().isPresent())) {
                run(slot, () -> commit(cluster, slot, writer));
            } else if (writer.stopped().isPresent()) {
                run(slot, () -> stopped(cluster, slot, writer, writer.stopped().get()));
            } else if (slot.recount && slot.coverage != null) {
                run(slot, () -> recount(cluster, slot));
            } else if (slot.coverageDirty && !now.isBefore(slot.coveragePublishedAt.plus(settings.catalogInterval()))) {
                run(slot, () -> publishCoverage(cluster, slot));
            } else if (!now.isBefore(slot.historyCheckedAt.plus(settings.historyCheckInterval()))) {
                slot.historyCheckedAt = now;
                run(slot, writer::checkHistory);
            }
        }
        // clusters gone from the fleet or handed to another replica: what is received is committed, then let go
        slots.forEach((id, slot) -> {
            if (!mine.contains(id) && !slot.busy) {
                run(slot, () -> {
                    if (release(slot)) {
                        slots.remove(id, slot);
                    }
                });
            }
        });
    }

    private void run(Slot slot, Runnable work) {
        slot.busy = true;
        pool.execute(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.warn("journal: {}", e.toString());
                slot.retryAt = Instant.now().plus(settings.retryBackoff());
            } finally {
                slot.busy = false;
            }
        });
    }

    private void start(ClusterSpec cluster, Slot slot) {
        JournalEpoch epoch = store.currentEpoch(cluster);
        // one listing of each for the resume point, the cluster id to expect, and the coverage
        List<JournalKeys.Range> segments = store.segments(cluster, epoch);
        List<JournalKeys.Range> gaps = store.gaps(cluster, epoch);
        OptionalLong from = slot.restartAt > 0 && epoch.equals(slot.epoch)
                ? OptionalLong.of(slot.restartAt)
                : resumePoint(cluster, epoch, segments, gaps);
        if (from.isEmpty()) {
            // asked once a minute at most while it is taken; within the hour the idempotency guard keeps it one
            if (Instant.now().isAfter(slot.baseAskedAt.plusSeconds(60))) {
                askForBase(
                        cluster,
                        "the journal has no snapshot to start from",
                        "base/" + Instant.now().getEpochSecond() / 3600);
                slot.baseAskedAt = Instant.now();
            }
            slot.retryAt = Instant.now().plus(settings.retryBackoff());
            return;
        }
        Client client = clients.dedicated(cluster, MAX_MESSAGE_BYTES);
        JournalWriter writer = new JournalWriter(
                cluster, epoch, client, settings, from.getAsLong(), lastClusterId(cluster, epoch, segments), buffered);
        try {
            writer.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            return;
        } catch (Exception e) {
            client.close();
            throw new IllegalStateException("cannot start the journal of " + cluster.id() + ": " + e, e);
        }
        slot.epoch = epoch;
        slot.coverage = JournalCoverage.of(
                cluster.id(), epoch, epoch.snapshots(catalog.list(cluster), Optional.empty()), segments, gaps, null);
        publishCoverage(slot);
        slot.client = client;
        slot.writer = writer;
        slot.restartAt = -1;
        slot.committed = from.getAsLong() - 1;
        LOG.info("journal of {}: watching from revision {} (epoch {})", cluster.id(), from.getAsLong(), epoch.name());
    }

    /** Retention deleted some of the cluster's segments: what the journal covers is listed again. */
    public void pruned(String clusterId) {
        Slot slot = slots.get(clusterId);
        if (slot != null) {
            slot.recount = true;
        }
    }

    private void recount(ClusterSpec cluster, Slot slot) {
        slot.recount = false;
        store.coverage(cluster, slot.epoch, catalog.list(cluster)).ifPresent(c -> slot.coverage = c);
        slot.coverageDirty = true;
        publishCoverage(cluster, slot);
    }

    /** The etcd cluster id of the epoch's last segment; null without one (or from before ids were recorded). */
    private String lastClusterId(ClusterSpec cluster, JournalEpoch epoch, List<JournalKeys.Range> segments) {
        return segments.stream()
                .reduce((a, b) -> b)
                .map(last -> store.manifest(cluster, epoch, last).etcdClusterId())
                .orElse(null);
    }

    /**
     * After the epoch's last segment or gap; with neither, after the newest snapshot taken in the epoch
     * (a new epoch's history begins with a snapshot of it); else nowhere yet.
     */
    private OptionalLong resumePoint(
            ClusterSpec cluster, JournalEpoch epoch, List<JournalKeys.Range> segments, List<JournalKeys.Range> gaps) {
        long last = java.util.stream.Stream.concat(segments.stream(), gaps.stream())
                .mapToLong(JournalKeys.Range::to)
                .max()
                .orElse(0);
        if (last > 0) {
            return OptionalLong.of(last + 1);
        }
        if (epoch.equals(JournalEpoch.FIRST)) {
            return catalog.newest(cluster)
                    .map(s -> OptionalLong.of(s.revision() + 1))
                    .orElse(OptionalLong.empty());
        }
        return epoch.snapshots(catalog.list(cluster), Optional.empty()).stream()
                .filter(s -> s.pointInTime() == null)
                .mapToLong(SnapshotManifest::revision)
                .max()
                .stream()
                .mapToObj(r -> OptionalLong.of(r + 1))
                .findFirst()
                .orElse(OptionalLong.empty());
    }

    private void commit(ClusterSpec cluster, Slot slot, JournalWriter writer) {
        try {
            Optional<SegmentManifest> committed = writer.commit(store);
            if (committed.isEmpty()) {
                return;
            }
            SegmentManifest m = committed.get();
            if (slot.failedCommits > 0) {
                LOG.info("journal of {}: committing again after {} failed attempts", cluster.id(), slot.failedCommits);
                slot.failedCommits = 0;
            }
            slot.committed = m.toRevision();
            if (slot.coverage != null) {
                slot.coverage = slot.coverage.extendedTo(m.toRevision(), m.lastArrival());
                slot.coverageDirty = true;
                publishCoverage(cluster, slot);
            }
            events.publish(new JournalSegmentCommitted(
                    cluster.id(),
                    m.fromRevision(),
                    m.toRevision(),
                    m.events(),
                    m.sizeStored(),
                    m.lastArrival(),
                    m.committedAt()));
        } catch (RuntimeException e) {
            // once, then every 30th: an outage of the store would otherwise log every retry
            if (slot.failedCommits++ % 30 == 0) {
                LOG.warn(
                        "journal of {}: cannot commit the revisions after {} yet ({} attempts; received up to {}): {}",
                        cluster.id(),
                        slot.committed,
                        slot.failedCommits,
                        writer.received(),
                        e.toString());
            }
            slot.retryAt = Instant.now().plus(settings.retryBackoff());
        }
    }

    /** At most once per catalog-interval; an open gap is looked at again then (a snapshot closes it). */
    private void publishCoverage(ClusterSpec cluster, Slot slot) {
        if (Instant.now().isBefore(slot.coveragePublishedAt.plus(settings.catalogInterval()))) {
            return;
        }
        if (!slot.coverage.openGaps().isEmpty()) {
            catalog.newest(cluster).ifPresent(s -> slot.coverage = slot.coverage.closedBy(s.revision()));
        }
        publishCoverage(slot);
    }

    private void publishCoverage(Slot slot) {
        try {
            fleetCatalog.putJournal(slot.coverage);
            slot.coveragePublishedAt = Instant.now();
            slot.coverageDirty = false;
        } catch (RuntimeException e) {
            LOG.warn("journal of {}: catalogue not updated: {}", slot.coverage.clusterId(), e.toString());
        }
    }

    /** The writer stopped and holds nothing uncommitted: record a gap if it was one, and let the next writer start. */
    private void stopped(ClusterSpec cluster, Slot slot, JournalWriter writer, JournalWriter.Stop why) {
        if (why instanceof JournalWriter.NewHistory history) {
            JournalEpoch epoch = store.startEpoch(cluster, history.reason());
            LOG.warn(
                    "journal of {}: {}; epoch {} begins, from the next snapshot (asked for)",
                    cluster.id(),
                    history.reason(),
                    epoch.name());
            askForBase(cluster, history.reason(), "epoch/" + epoch.name());
            slot.baseAskedAt = Instant.now();
            slot.restartAt = -1;
        } else if (why instanceof JournalWriter.Gap gap) {
            boolean covered = catalog.newest(cluster)
                    .map(SnapshotManifest::revision)
                    .filter(r -> r >= gap.to())
                    .isPresent();
            store.recordGap(
                    cluster,
                    slot.epoch,
                    new JournalGap(cluster.id(), gap.from(), gap.to(), gap.reason(), Instant.now()));
            if (!covered) {
                askForBase(cluster, gap.reason(), "gap/" + gap.from() + "-" + gap.to());
            }
            events.publish(
                    new JournalGapRecorded(cluster.id(), gap.from(), gap.to(), gap.reason(), !covered, Instant.now()));
            LOG.warn(
                    "journal of {}: revisions {}-{} are lost ({}); {}",
                    cluster.id(),
                    gap.from(),
                    gap.to(),
                    gap.reason(),
                    covered ? "a snapshot after them exists" : "asked for a snapshot");
            slot.restartAt = gap.restartAt();
        } else if (why instanceof JournalWriter.Failed failed) {
            LOG.warn("journal of {} stopped at revision {}: {}", cluster.id(), writer.received(), failed.reason());
            slot.retryAt = Instant.now().plus(settings.retryBackoff());
        }
        close(slot);
    }

    private void askForBase(ClusterSpec cluster, String reason, String episode) {
        String id = EventEnvelope.deterministicId("journal/" + cluster.id() + "/" + episode, BackupRequested.TYPE);
        events.publish(
                id, new BackupRequested(cluster.id(), Trigger.JOURNAL_GAP, reason, "journal", null, Instant.now()));
    }

    /** Commits what the writer received and closes it; false when that could not be done (tried again later). */
    private boolean release(Slot slot) {
        JournalWriter writer = slot.writer;
        if (writer != null) {
            writer.close();
            while (writer.hasBuffered()) {
                try {
                    writer.commit(store);
                } catch (RuntimeException e) {
                    slot.retryAt = Instant.now().plus(settings.retryBackoff());
                    return false;
                }
            }
        }
        close(slot);
        return true;
    }

    private static void close(Slot slot) {
        if (slot.writer != null) {
            slot.writer.discard();
            slot.writer = null;
        }
        if (slot.client != null) {
            slot.client.close();
            slot.client = null;
        }
    }

    @PreDestroy
    void shutdown() throws InterruptedException {
        slots.values().forEach(slot -> {
            if (slot.writer != null) {
                slot.writer.close();
            }
        });
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        // commit what was received, once: what is not committed is read from etcd again by the next writer
        slots.values().forEach(slot -> {
            try {
                release(slot);
            } catch (RuntimeException e) {
                LOG.warn("journal: {}", e.toString());
            }
        });
    }
}
