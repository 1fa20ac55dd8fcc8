package io.etcdguardian.snapshot.journal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalEvent;
import io.etcdguardian.common.journal.JournalRevision;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.journal.SegmentManifest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One cluster's watch from one revision on: each revision's events are buffered as they arrive and
 * committed as a segment when {@link #commitDue} says so, oldest first. Anything that ends the watch
 * (a compaction, a hole, a full buffer, the watch failing) stops it with a {@link Stop};
 * {@link JournalWriters} commits what is left and starts the next writer where the store says.
 */
final class JournalWriter implements AutoCloseable {
    private static final ByteSequence ALL = ByteSequence.from(new byte[] {0});

    /** Why a writer stopped. */
    sealed interface Stop permits Gap, Failed, NewHistory {}

    /**
     * etcd is not the one the watch began on: another cluster id (a restore under a new token), or a
     * revision below what was received (a restore without {@code --bump-revision}). Revisions from now on
     * may repeat numbers the journal holds for writes the restore undid: a new epoch begins.
     */
    record NewHistory(String reason) implements Stop {}

    /** Revisions {@code from..to} can never be read again; the next writer starts at {@code restartAt}. */
    record Gap(long from, long to, String reason, long restartAt) implements Stop {}

    /** Anything else: the next writer resumes from the store after a pause. */
    record Failed(String reason) implements Stop {}

    private final ClusterSpec cluster;
    private final JournalEpoch epoch;
    private final Client client;
    private final JournalSettings settings;
    private final Map<Long, Long> leaseTtls = new ConcurrentHashMap<>();
    private final String expectedClusterId;
    // received and not committed, by all of the replica's writers: bounded by max-buffered-bytes
    private final java.util.concurrent.atomic.AtomicLong replicaBuffered;
    private final Object lock = new Object();
    // guarded by lock
    private final ArrayDeque<JournalRevision> buffered = new ArrayDeque<>();
    private long bufferedBytes;
    private long received;
    private long clusterId;
    private Stop stopped;
    private Watch.Watcher watcher;

    /** {@code expectedClusterId}: the etcd cluster id the epoch's journal came from (hex; null: none yet). */
    JournalWriter(
            ClusterSpec cluster,
            JournalEpoch epoch,
            Client client,
            JournalSettings settings,
            long fromRevision,
            String expectedClusterId,
            java.util.concurrent.atomic.AtomicLong replicaBuffered) {
        this.expectedClusterId = expectedClusterId;
        this.replicaBuffered = replicaBuffered;
        this.cluster = cluster;
        this.epoch = epoch;
        this.client = client;
        this.settings = settings;
        this.received = fromRevision - 1;
    }

    /** Watches from the revision after the last one committed; the cluster id it answers with is the one expected. */
    void start() throws Exception {
        long id = client.getKVClient()
                .get(ALL)
                .get(30, TimeUnit.SECONDS)
                .getHeader()
                .getClusterId();
        synchronized (lock) {
            clusterId = id;
            if (expectedClusterId != null && !expectedClusterId.equals(Long.toHexString(id))) {
                // the journal so far came from another etcd cluster: appending would join two histories
                stopLocked(new NewHistory("etcd answers as cluster " + Long.toHexString(id) + ", the journal came from "
                        + expectedClusterId + " (restored?)"));
                return;
            }
        }
        Watch.Watcher started = client.getWatchClient()
                .watch(
                        ALL,
                        WatchOption.builder()
                                .withRange(ALL)
                                .withRevision(received + 1)
                                .withProgressNotify(true)
                                .build(),
                        Watch.listener(
                                this::onResponse, this::onError, () -> stop(new Failed("etcd ended the watch"))));
        synchronized (lock) {
            watcher = started;
        }
    }

    private void onResponse(WatchResponse response) {
        List<WatchEvent> events = response.getEvents();
        Instant now = Instant.now();
        synchronized (lock) {
            if (stopped != null) {
                return;
            }
            // checked before anything is taken in: events of another history never join this one's segments
            if (!sameCluster(response.getHeader().getClusterId())) {
                return;
            }
            if (events.isEmpty()) {
                return;
            }
            long revision = -1;
            List<JournalEvent> changes = null;
            for (WatchEvent event : events) {
                KeyValue kv = event.getKeyValue();
                long r = kv.getModRevision();
                if (r <= received) {
                    continue; // a watch resumed by the client may repeat what it sent
                }
                if (r != revision) {
                    if (changes != null && !append(revision, now, changes)) {
                        return;
                    }
                    revision = r;
                    changes = new ArrayList<>();
                }
                changes.add(
                        event.getEventType() == WatchEvent.EventType.DELETE
                                ? JournalEvent.delete(kv.getKey().getBytes(), r)
                                : JournalEvent.put(
                                        kv.getKey().getBytes(),
                                        kv.getValue().getBytes(),
                                        kv.getCreateRevision(),
                                        r,
                                        kv.getVersion(),
                                        kv.getLease(),
                                        -1));
            }
            if (changes != null
                    && append(revision, now, changes)
                    && replicaBuffered.get() > settings.maxBufferedBytes()) {
                stopLocked(new Failed(replicaBuffered.get() + " bytes received and not committed by this replica's"
                        + " writers (max-buffered-bytes " + settings.maxBufferedBytes()
                        + "; the store is slow or down):"
                        + " this watch resumes from the store once its " + bufferedBytes + " are"));
            }
        }
    }

    /** Guarded by lock. False (and stopped) when etcd answers as another cluster than the one watched. */
    private boolean sameCluster(long answeringClusterId) {
        if (answeringClusterId != 0 && clusterId != 0 && answeringClusterId != clusterId) {
            stopLocked(new NewHistory("etcd answers as cluster " + Long.toHexString(answeringClusterId) + ", not "
                    + Long.toHexString(clusterId) + " (restored?)"));
            return false;
        }
        return true;
    }

    /**
     * Asks etcd where it is, linearizably (through the leader: no member's lag shows), about one key that
     * cannot exist; stops the writer if it is another cluster, or below a revision received before asking.
     */
    void checkHistory() {
        long receivedBefore;
        synchronized (lock) {
            receivedBefore = received;
        }
        try {
            var header = client.getKVClient().get(ALL).get(10, TimeUnit.SECONDS).getHeader();
            synchronized (lock) {
                if (stopped == null && sameCluster(header.getClusterId()) && header.getRevision() < receivedBefore) {
                    stopLocked(new NewHistory("etcd is at revision " + header.getRevision() + ", below the "
                            + receivedBefore + " received (restored without --bump-revision?)"));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception unanswered) {
            // the watch's own retries cover an etcd that does not answer
        }
    }

    /** Guarded by lock. False when the revision does not follow the last one (the writer stops with a gap). */
    private boolean append(long revision, Instant arrival, List<JournalEvent> changes) {
        if (revision != received + 1) {
            // etcd numbers its write transactions without holes; a jump means revisions this writer never saw
            stopLocked(new Gap(
                    received + 1,
                    revision - 1,
                    "the watch went from revision " + received + " to " + revision,
                    revision));
            return false;
        }
        JournalRevision r = new JournalRevision(revision, arrival, changes);
        buffered.addLast(r);
        bufferedBytes += r.weight();
        replicaBuffered.addAndGet(r.weight());
        received = revision;
        return true;
    }

    private void onError(Throwable e) {
        if (e instanceof CompactedException compacted) {
            long compactedAt = compacted.getCompactedRevision();
            synchronized (lock) {
                stopLocked(new Gap(
                        received + 1,
                        compactedAt - 1,
                        "etcd compacted revisions up to " + (compactedAt - 1) + " before the journal read them",
                        compactedAt));
            }
            return;
        }
        stop(new Failed("the watch failed: " + e));
    }

    private void stop(Stop why) {
        synchronized (lock) {
            stopLocked(why);
        }
    }

    private void stopLocked(Stop why) {
        if (stopped == null) {
            stopped = why;
            if (watcher != null) {
                watcher.close();
            }
        }
    }

    Optional<Stop> stopped() {
        synchronized (lock) {
            return Optional.ofNullable(stopped);
        }
    }

    boolean hasBuffered() {
        synchronized (lock) {
            return !buffered.isEmpty();
        }
    }

    /** The newest revision received. */
    long received() {
        synchronized (lock) {
            return received;
        }
    }

    /** When the oldest buffered revision has waited a segment interval, or a segment's worth is buffered. */
    boolean commitDue(Instant now) {
        synchronized (lock) {
            return !buffered.isEmpty()
                    && (bufferedBytes >= settings.segmentBytes()
                            || !now.isBefore(buffered.peekFirst().arrival().plus(settings.segmentInterval())));
        }
    }

    /** Commits the oldest buffered revisions, up to a segment's worth, as one segment; empty when none are buffered. */
    Optional<SegmentManifest> commit(JournalStore store) {
        List<JournalRevision> batch = new ArrayList<>();
        synchronized (lock) {
            long bytes = 0;
            for (JournalRevision r : buffered) {
                if (!batch.isEmpty() && bytes + r.weight() > settings.segmentBytes()) {
                    break;
                }
                batch.add(r);
                bytes += r.weight();
            }
        }
        if (batch.isEmpty()) {
            return Optional.empty();
        }
        long id;
        synchronized (lock) {
            id = clusterId;
        }
        SegmentManifest manifest = store.commit(cluster, epoch, id, withLeaseTtls(batch));
        synchronized (lock) {
            for (int i = 0; i < batch.size(); i++) {
                long weight = buffered.removeFirst().weight();
                bufferedBytes -= weight;
                replicaBuffered.addAndGet(-weight);
            }
        }
        return Optional.of(manifest);
    }

    /** The granted TTL of each lease a put names, asked once per lease; -1 for a lease that has ended. */
    private List<JournalRevision> withLeaseTtls(List<JournalRevision> batch) {
        if (batch.stream().flatMap(r -> r.events().stream()).noneMatch(e -> e.lease() != 0)) {
            return batch;
        }
        return batch.stream()
                .map(r -> new JournalRevision(
                        r.revision(),
                        r.arrival(),
                        r.events().stream()
                                .map(e -> e.lease() == 0
                                        ? e
                                        : JournalEvent.put(
                                                e.key(),
                                                e.value(),
                                                e.createRevision(),
                                                e.modRevision(),
                                                e.version(),
                                                e.lease(),
                                                leaseTtls.computeIfAbsent(e.lease(), this::grantedTtl)))
                                .toList()))
                .toList();
    }

    private long grantedTtl(long lease) {
        try {
            long ttl = client.getLeaseClient()
                    .timeToLive(lease, LeaseOption.DEFAULT)
                    .get(10, TimeUnit.SECONDS)
                    .getGrantedTTL();
            return ttl > 0 ? ttl : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1; // the lease ended before it was asked: its keys' deletion follows in the journal
        }
    }

    @Override
    public void close() {
        stop(new Failed("closed"));
    }

    /** Drops what was received and not committed (the next writer reads it from etcd again). */
    void discard() {
        close();
        synchronized (lock) {
            replicaBuffered.addAndGet(-bufferedBytes);
            bufferedBytes = 0;
            buffered.clear();
        }
    }
}
