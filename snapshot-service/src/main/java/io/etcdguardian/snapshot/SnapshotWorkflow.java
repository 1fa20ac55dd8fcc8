package io.etcdguardian.snapshot;

import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.etcd.KeyCount;
import io.etcdguardian.common.etcd.MemberProbe;
import io.etcdguardian.common.etcd.MemberStatus;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.operation.HeldLease;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.operation.Operations;
import io.etcdguardian.common.snapshot.BoltStats;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotEncryption;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.common.work.WorkerPool;
import io.etcdguardian.snapshot.backupset.StaticResourcesCapture;
import io.etcdguardian.snapshot.capture.CaptureProgress;
import io.etcdguardian.snapshot.capture.MemberSelector;
import io.etcdguardian.snapshot.capture.SnapshotCapture;
import io.etcdguardian.snapshot.capture.Spool;
import io.etcdguardian.snapshot.catalog.CatalogUpdates;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.etcdguardian.snapshot.drill.DrillAfterCapture;
import io.etcdguardian.snapshot.journal.PointInTimeMaterializer;
import io.etcdguardian.snapshot.keys.EncryptionKeyBundles;
import io.etcdguardian.snapshot.retention.RetentionPolicy;
import io.etcdguardian.snapshot.retention.RetentionRunner;
import io.etcdguardian.snapshot.store.SnapshotUploader;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup request, start to finish:
 * {@code alreadyAnswered → selectMember → capture ∥ upload → checkTrailer → completeUpload → readStats
 * → commitManifest → publishCompleted → applyRetention}. The manifest is written last because it
 * is the commit; the completed event follows it and is republished (same id) if the request comes
 * again, so a crash between the two loses nothing.
 */
@Singleton
public class SnapshotWorkflow {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWorkflow.class);
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final MemberProbe probe;
    private final EtcdClients etcd;
    private final SnapshotCapture capture;
    private final SnapshotUploader uploader;
    private final SnapshotCatalog catalog;
    private final EventPublisher events;
    private final SnapshotMetrics metrics;
    private final SnapshotSettings settings;
    private final RetentionRunner retention;
    private final EncryptionKeyBundles keyBundles;
    private final EncryptionKeys encryptionKeys;
    private final KubernetesClients kubernetes;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Operations operations;
    private final DrillAfterCapture drillAfterCapture;
    private final CatalogUpdates catalogUpdates;
    private final StaticResourcesCapture staticResources;
    private final PointInTimeMaterializer pointInTime;
    /** Reads a complete spool file's stats beside the upload's last parts; one per snapshot running at once. */
    private final WorkerPool statsReaders = new WorkerPool("snapshot-stats", 4);

    private static final java.util.List<String> PLAN = java.util.List.of(
            "select a healthy member",
            "OpenShift: the static-pod resources from a control-plane node",
            "capture to the spool while uploading from it",
            "check the trailer",
            "complete the upload",
            "read the stats",
            "commit the manifest",
            "publish",
            "drill it (small and medium databases)",
            "apply retention");

    public SnapshotWorkflow(
            MemberProbe probe,
            EtcdClients etcd,
            SnapshotCapture capture,
            SnapshotUploader uploader,
            SnapshotCatalog catalog,
            EventPublisher events,
            SnapshotMetrics metrics,
            SnapshotSettings settings,
            RetentionRunner retention,
            EncryptionKeyBundles keyBundles,
            EncryptionKeys encryptionKeys,
            KubernetesClients kubernetes,
            Operations operations,
            DrillAfterCapture drillAfterCapture,
            CatalogUpdates catalogUpdates,
            StaticResourcesCapture staticResources,
            PointInTimeMaterializer pointInTime) {
        this.pointInTime = pointInTime;
        this.drillAfterCapture = drillAfterCapture;
        this.catalogUpdates = catalogUpdates;
        this.staticResources = staticResources;
        this.operations = operations;
        this.kubernetes = kubernetes;
        this.probe = probe;
        this.etcd = etcd;
        this.capture = capture;
        this.uploader = uploader;
        this.catalog = catalog;
        this.events = events;
        this.metrics = metrics;
        this.settings = settings;
        this.retention = retention;
        this.keyBundles = keyBundles;
        this.encryptionKeys = encryptionKeys;
    }

    /**
     * Handles a request as an operation ({@link Operations}) and publishes its one outcome: completed
     * (also when a snapshot taken since the request answers it, the same event again on a redelivery)
     * or failed (refused on a paused cluster or while another replica snapshots it; a redelivered
     * request that failed before repeats the failure — the next request takes the next snapshot).
     * Retriable failures are tried again inside the operation, with backoff.
     */
    public Optional<SnapshotManifest> handle(
            ClusterSpec cluster, String requestId, BackupRequested request, Instant requestedAt) {
        Instant started = Instant.now();
        ReentrantLock lock = locks.computeIfAbsent(cluster.id(), k -> new ReentrantLock());
        // one snapshot per cluster at a time; a second request waits and is then usually coalesced
        lock.lock();
        try (EtcdClients.Pin pin = etcd.pin(cluster)) { // its clients stay open even if the fleet drops it meanwhile
            // resolved once: a time resolves to the revision the journal holds for it now, and stays that one
            PointInTimeMaterializer.Target target =
                    request.isPointInTime() ? pointInTime.target(cluster, request) : null;
            Optional<SnapshotManifest> answered = target != null
                    ? samePointInTime(cluster, requestId, target)
                    : alreadyAnswered(cluster, requestId, requestedAt);
            if (answered.isPresent()) {
                publishCompleted(cluster, requestId, answered.get(), 0);
                return answered;
            }
            AtomicReference<SnapshotManifest> taken = new AtomicReference<>();
            Operations.Result result = operations.run(cluster, OperationKind.SNAPSHOT, requestId, null, PLAN, run -> {
                // one step, safe to repeat: an attempt commits nothing until its manifest is written
                Retry retry = Retry.of(
                        "snapshot-" + cluster.id(),
                        RetryConfig.custom()
                                .maxAttempts(settings.attempts())
                                .intervalFunction(IntervalFunction.ofExponentialBackoff(settings.retryBackoff(), 2.0))
                                .retryOnException(GuardianException::isRetriable)
                                .build());
                retry.getEventPublisher()
                        .onRetry(e -> LOG.warn(
                                "snapshot of {}: attempt {} failed, trying again in {}" + " ms: {}",
                                cluster.id(),
                                e.getNumberOfRetryAttempts(),
                                e.getWaitInterval().toMillis(),
                                String.valueOf(e.getLastThrowable())));
                run.step(
                        "capture-and-commit",
                        () -> taken.set(retry.executeSupplier(
                                () -> attempt(cluster, requestId, request, target, run.lease()))));
                return "snapshot "
                        + (taken.get() == null
                                ? "committed before"
                                : taken.get().snapshotId());
            });
            if (result.abandoned()) {
                return Optional.empty(); // another replica owns the request now
            }
            Duration took = Duration.between(started, Instant.now());
            if (result.status() == OperationRecord.Status.COMPLETED && taken.get() != null) {
                SnapshotManifest manifest = taken.get();
                metrics.succeeded(
                        cluster.id(), took, manifest.sizeRaw(), manifest.sizeStored(), manifest.completedAt());
                catalogUpdates.refresh(
                        cluster); // before the outcome: whoever reads it finds the fleet catalogue current
                publishCompleted(cluster, requestId, manifest, took.toMillis());
                Failpoints.hit("snapshot.published");
                drillAfterCapture.offer(cluster, manifest);
                retention.apply(cluster);
                return Optional.of(manifest);
            }
            if (result.status() == OperationRecord.Status.COMPLETED) { // completed before: its manifest says so
                Optional<SnapshotManifest> committed = request.isPointInTime()
                        ? ownPointInTime(catalog.list(cluster), requestId)
                        : catalog.newest(cluster).filter(m -> requestId.equals(m.requestId()));
                committed.ifPresent(m -> publishCompleted(cluster, requestId, m, 0));
                return committed;
            }
            OperationRecord end = result.record();
            Reason reason = end.reason() == null ? Reason.INTERNAL : Reason.valueOf(end.reason());
            if (!result.replayed()) {
                metrics.failed(cluster.id(), took, reason.name());
            }
            publishFailed(cluster, requestId, new GuardianException(reason, end.retriable(), end.detail(), null));
            return Optional.empty();
        } catch (RuntimeException e) {
            // before the operation could start (the store's catalogue unreadable, say): nothing ran; say why
            metrics.failed(
                    cluster.id(),
                    Duration.between(started, Instant.now()),
                    GuardianException.reasonOf(e).name());
            publishFailed(cluster, requestId, e);
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A point-in-time request is answered by its own snapshot only (delivered again after it committed),
     * found among all of them: it sorts by the time of its data, not among the newest.
     */
    private static Optional<SnapshotManifest> ownPointInTime(List<SnapshotManifest> all, String requestId) {
        return all.stream().filter(m -> requestId.equals(m.requestId())).findFirst();
    }

    /**
     * Its own snapshot, or one made for the same revision and kept (a restore reviewed with --dry-run, then
     * applied with its plan digest, asks twice and must get the same snapshot), or a drilled snapshot taken
     * at that revision.
     */
    private Optional<SnapshotManifest> samePointInTime(
            ClusterSpec cluster, String requestId, PointInTimeMaterializer.Target target) {
        List<SnapshotManifest> all = catalog.list(cluster);
        Optional<SnapshotManifest> own = ownPointInTime(all, requestId);
        if (own.isPresent()) {
            return own;
        }
        long revision = target.revision();
        String epoch = target.epoch().epoch().name();
        Instant keptSince = Instant.now().minus(RetentionPolicy.POINT_IN_TIME_KEPT.dividedBy(2));
        return all.stream()
                .filter(m -> m.pointInTime() != null
                        && m.revision() == revision
                        && epoch.equals(m.pointInTime().journalEpoch())
                        && m.completedAt().isAfter(keptSince)
                        && !m.drillFailed())
                .reduce((a, b) -> b)
                // a snapshot taken at that very revision, proven restorable, holds it already: nothing to make
                .or(() -> target.epoch().epoch().snapshots(all, target.epoch().next()).stream()
                        .filter(m -> m.pointInTime() == null && m.revision() == revision && m.drillPassed())
                        .findFirst())
                .map(m -> {
                    LOG.info(
                            "request {} answered by {}snapshot {} of revision {}",
                            requestId,
                            m.pointInTime() != null ? "point-in-time " : "",
                            m.snapshotId(),
                            revision);
                    return m;
                });
    }

    /**
     * A request is answered by any snapshot taken since it was made: its own, when it is delivered
     * again after the snapshot committed, or a newer one that requests piled up behind (coalesced).
     * Only the newest manifest needs reading. Clocks: requester and service should agree within
     * seconds (NTP); a requester whose clock runs ahead only causes an extra snapshot.
     */
    private Optional<SnapshotManifest> alreadyAnswered(ClusterSpec cluster, String requestId, Instant requestedAt) {
        return catalog.newest(cluster)
                .filter(m -> !m.takenAt().isBefore(requestedAt))
                .map(m -> {
                    if (!requestId.equals(m.requestId())) {
                        LOG.info(
                                "request {} coalesced into snapshot {} taken after it was made",
                                requestId,
                                m.snapshotId());
                    }
                    return m;
                });
    }

    private SnapshotManifest attempt(
            ClusterSpec cluster,
            String requestId,
            BackupRequested request,
            PointInTimeMaterializer.Target target,
            HeldLease lease) {
        if (target == null) {
            return attempt(cluster, requestId, request, lease, Optional.empty());
        }
        try (PointInTimeMaterializer.Materialized pit =
                pointInTime.materialise(cluster, target, Path.of(settings.spoolDir()))) {
            return attempt(cluster, requestId, request, lease, Optional.of(pit));
        }
    }

    /**
     * Captures from the cluster's best member into the spool and uploads from there, or, for a point-in-time
     * request, takes what {@code pit} materialised from a snapshot and the journal (the cluster is not asked).
     */
    private SnapshotManifest attempt(
            ClusterSpec cluster,
            String requestId,
            BackupRequested request,
            HeldLease lease,
            Optional<PointInTimeMaterializer.Materialized> pit) {
        MemberStatus member = pit.isPresent()
                ? pit.get().asMember()
                : MemberSelector.choose(probe.probe(cluster), settings.maxFollowerLag());
        // a point-in-time snapshot sorts by the time of its data: it is never taken for the cluster's latest
        Instant takenAt =
                pit.map(PointInTimeMaterializer.Materialized::revisionTime).orElseGet(Instant::now);
        String snapshotId =
                ID_TIME.format(takenAt) + "-" + UUID.randomUUID().toString().substring(0, 8);
        Optional<SnapshotEncryption> encryption = encryptionKeys.forCluster(cluster);
        boolean compress = "zstd".equals(settings.compression());
        String objectKey = SnapshotKeys.object(cluster, snapshotId, compress ? "zstd" : "none", encryption.isPresent());
        Path spoolFile = Path.of(settings.spoolDir(), cluster.id() + "-" + snapshotId + ".db");
        ensureSpoolRoom(spoolFile.getParent(), member.dbSize());
        Duration deadline = settings.deadlineFor(member.dbSize());
        // before the capture: without a place for its key, an encrypted cluster's snapshot is worthless
        String keyBundleKey = keyBundles.save(cluster, snapshotId).orElse(null);
        LOG.info(
                "snapshot {} from {} (member {}, db {} bytes, deadline {})",
                snapshotId,
                member.endpoint(),
                member.memberIdHex(),
                member.dbSize(),
                deadline);
        events.publish(
                EventEnvelope.deterministicId(requestId + "/" + snapshotId, SnapshotStarted.TYPE),
                new SnapshotStarted(cluster.id(), requestId, snapshotId, member.endpoint(), takenAt, member.dbSize()));
        Failpoints.hit("snapshot.started");
        // cluster-backup.sh's order: the static-pod resources first, then the snapshot that goes with them
        Optional<SnapshotManifest.StaticResources> resources =
                pit.isPresent() ? Optional.empty() : staticResources.capture(cluster, snapshotId, encryption);
        boolean committed = false;
        try (Spool spool = new Spool(spoolFile);
                CaptureProgress progress = new CaptureProgress(
                        events,
                        cluster.id(),
                        requestId,
                        snapshotId,
                        spool,
                        member.dbSize(),
                        settings.progressInterval())) {
            java.util.function.Supplier<SnapshotUploader.Upload> startUpload = () -> uploader.start(
                    cluster,
                    objectKey,
                    spool.tail(),
                    compress,
                    out -> encryption
                            .map(e -> e.encrypt(out, cluster.id(), snapshotId))
                            .orElse(out));
            // concurrent upload shortens the whole; after-capture keeps the CPU for etcd's stream on small hosts
            SnapshotUploader.Upload upload = settings.uploadDuringCapture() ? startUpload.get() : null;
            SnapshotCapture.Captured captured;
            long t0 = System.nanoTime();
            try {
                captured = pit.isPresent()
                        ? pit.get().copyInto(spool)
                        : capture.capture(cluster, member.endpoint(), spool, deadline);
            } catch (RuntimeException e) {
                if (upload != null) {
                    upload.abort();
                }
                throw e;
            }
            progress.captured();
            Failpoints.hit("snapshot.captured");
            if (upload == null) {
                upload = startUpload.get();
            }
            long t1 = System.nanoTime();
            // the spool is complete: read its stats while the upload's last parts go out
            CompletableFuture<BoltStats> reading =
                    CompletableFuture.supplyAsync(() -> readStats(spool.file()), statsReaders);
            SnapshotUploader.Stored stored = upload.complete();
            BoltStats stats = reading.join();
            LOG.info(
                    "snapshot {}: {} bytes captured in {} ms, upload done {} ms later ({} bytes stored)",
                    snapshotId,
                    captured.bytes(),
                    (t1 - t0) / 1_000_000,
                    (System.nanoTime() - t1) / 1_000_000,
                    stored.bytes());
            SnapshotManifest manifest = new SnapshotManifest(
                    SnapshotManifest.FORMAT_VERSION,
                    cluster.id(),
                    snapshotId,
                    requestId,
                    request.trigger().name(),
                    takenAt,
                    Instant.now(),
                    member.endpoint(),
                    member.version(),
                    pit.isPresent() ? pit.get().plan().base().clusterVersion() : clusterVersion(cluster),
                    stats.revision(),
                    stats.totalKeys(),
                    pit.isPresent() ? pit.get().liveKeys() : liveKeysAt(cluster, member.endpoint(), stats.revision()),
                    stats.hash(),
                    captured.bytes(),
                    stored.bytes(),
                    captured.sha256(),
                    compress ? "zstd" : "none",
                    encryption.map(SnapshotEncryption::describe).orElse(null),
                    objectKey,
                    keyBundleKey,
                    null,
                    (t1 - t0) / 1_000_000,
                    stored.sha256(),
                    resources.orElse(null),
                    pit.map(PointInTimeMaterializer.Materialized::describe).orElse(null));
            Failpoints.hit("snapshot.uploaded");
            lease.verify(); // the commit is the act: a replica that lost the request commits nothing
            catalog.write(cluster, manifest);
            committed = true;
            Failpoints.hit("snapshot.committed");
            return manifest;
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "spool " + spoolFile + ": " + e.getMessage(), e);
        } finally {
            if (!committed) {
                resources.ifPresent(r -> staticResources.discard(cluster, r)); // its snapshot never committed
            }
        }
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        statsReaders.shutdownNow();
    }

    private static BoltStats readStats(Path file) {
        try {
            return BoltStats.read(file);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED, "snapshot is not a readable bbolt file: " + e.getMessage(), e);
        }
    }

    /** Keys a restore of this snapshot would hold: a count at the snapshot's revision, or -1 once compacted away. */
    private long liveKeysAt(ClusterSpec cluster, String endpoint, long revision) {
        try {
            return KeyCount.of(
                            etcd.member(cluster, endpoint),
                            revision,
                            cluster.etcd().requestTimeoutOrDefault())
                    .keys();
        } catch (Exception e) {
            LOG.info(
                    "live key count at revision {} unavailable ({}); recorded as -1",
                    revision,
                    e.getClass().getSimpleName());
            return -1;
        }
    }

    private void ensureSpoolRoom(Path dir, long dbSize) {
        try {
            Files.createDirectories(dir);
            long free = Files.getFileStore(dir).getUsableSpace();
            long needed = (long) (dbSize * settings.spoolHeadroom());
            if (free < needed) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "spool " + dir + " has " + free + " bytes free, the snapshot needs about " + needed,
                        null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void publishCompleted(ClusterSpec cluster, String requestId, SnapshotManifest m, long durationMs) {
        long rate = durationMs > 0 ? m.sizeRaw() * 1000 / durationMs : 0;
        events.publish(
                EventEnvelope.deterministicId(requestId, SnapshotCompleted.TYPE),
                new SnapshotCompleted(
                        cluster.id(),
                        requestId,
                        m.snapshotId(),
                        cluster.store().bucket(),
                        m.objectKey(),
                        SnapshotKeys.manifest(cluster, m.snapshotId()),
                        m.sourceMember(),
                        m.etcdVersion(),
                        m.revision(),
                        m.totalKeys(),
                        m.sizeRaw(),
                        m.sizeStored(),
                        m.sha256(),
                        m.compression(),
                        m.encryption() == null ? null : m.encryption().keyId(),
                        m.takenAt(),
                        durationMs,
                        rate,
                        m.captureMs()));
    }

    private void publishFailed(ClusterSpec cluster, String requestId, RuntimeException e) {
        Reason reason = GuardianException.reasonOf(e);
        LOG.error(
                "snapshot for request {} failed: {}: {}",
                requestId,
                reason,
                e.getMessage(),
                reason == Reason.INTERNAL ? e : null);
        try {
            events.publish(
                    EventEnvelope.deterministicId(requestId, SnapshotFailed.TYPE),
                    new SnapshotFailed(
                            cluster.id(),
                            requestId,
                            reason,
                            GuardianException.isRetriable(e),
                            e.getMessage(),
                            Instant.now()));
        } catch (RuntimeException publishFailed) {
            LOG.error("could not publish the failure of request {}: {}", requestId, publishFailed.toString());
        }
    }

    /** The control plane's z-stream (restore refuses another one unless forced); unknown is not a failure here. */
    private String clusterVersion(ClusterSpec cluster) {
        try {
            return kubernetes
                    .forCluster(cluster)
                    .flatMap(c -> ControlPlane.completedVersion(c, cluster))
                    .orElse(null);
        } catch (RuntimeException e) {
            LOG.warn(
                    "cannot read the cluster version of {}: {}",
                    cluster.id(),
                    e.getClass().getSimpleName());
            return null;
        }
    }
}
