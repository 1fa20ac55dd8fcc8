package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.etcd.KeyCount;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotVerified;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventPublisher;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.operation.Operations;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.snapshot.backupset.StaticResourcesLayout;
import io.etcdguardian.snapshot.catalog.CatalogUpdates;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves a snapshot restores: {@code fetch (decrypt, decompress, trailer) → etcdctl snapshot restore
 * into a scratch dir → start etcd on loopback → compare revision and key count with the manifest →
 * record the result in the manifest → publish snapshot.verified}. A snapshot whose drill fails is
 * no longer "verified": retention and restore stop trusting it.
 */
@Singleton
public class RestoreDrill {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreDrill.class);

    private final SnapshotFetcher fetcher;
    private final SnapshotCatalog catalog;
    private final EventPublisher events;
    private final SnapshotSettings settings;
    private final MeterRegistry meters;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** A drill is one operation: restore into scratch and compare, then record the result in the manifest. */
    private static final List<String> PLAN = List.of("restore-and-compare", "record-result");
    /**
     * A WAL segment (64 MB) is preallocated twice in the scratch member: by {@code etcdutl snapshot
     * restore}, and for the next segment when the member starts.
     */
    private static final long WAL_SEGMENTS = 2 * 64_000_000L;

    private final Operations operations;

    private final RestorableAge restorable;
    private final CatalogUpdates catalogUpdates;

    public RestoreDrill(
            SnapshotFetcher fetcher,
            SnapshotCatalog catalog,
            EventPublisher events,
            SnapshotSettings settings,
            MeterRegistry meters,
            Operations operations,
            RestorableAge restorable,
            CatalogUpdates catalogUpdates) {
        this.restorable = restorable;
        this.catalogUpdates = catalogUpdates;
        this.operations = operations;
        this.fetcher = fetcher;
        this.catalog = catalog;
        this.events = events;
        this.settings = settings;
        this.meters = meters;
    }

    /**
     * Runs the drill as an operation ({@link Operations}) and records it; a store that cannot be read
     * is an error, not a failed drill, and so is a drill refused (a paused cluster, another replica
     * drilling the cluster) — thrown with the reason.
     */
    public SnapshotManifest drill(ClusterSpec cluster, SnapshotManifest manifest) {
        ReentrantLock lock = lockOf(cluster);
        lock.lock();
        try {
            AtomicReference<SnapshotManifest> updated = new AtomicReference<>();
            Instant started = Instant.now();
            // the drill's lease names its snapshot: retention on any replica keeps it while the drill reads it
            Operations.Result result = operations.run(
                    cluster,
                    OperationKind.DRILL,
                    "drill-" + manifest.snapshotId() + "-" + started.toEpochMilli(),
                    manifest.snapshotId(),
                    PLAN,
                    run -> {
                        AtomicReference<SnapshotManifest.Drill> drill = new AtomicReference<>();
                        run.step("restore-and-compare", () -> drill.set(run(cluster, manifest)));
                        run.step("record-result", () -> {
                            updated.set(manifest.withDrill(drill.get()));
                            catalog.write(cluster, updated.get());
                        });
                        return "drill " + drill.get().result() + ": "
                                + drill.get().detail();
                    });
            if (result.status() != OperationRecord.Status.COMPLETED || updated.get() == null) {
                OperationRecord end = result.record();
                throw new GuardianException(
                        end.reason() == null ? Reason.INTERNAL : Reason.valueOf(end.reason()),
                        "drill of " + manifest.snapshotId() + " " + end.status() + ": " + end.detail());
            }
            catalogUpdates.refresh(cluster);
            SnapshotManifest.Drill drill = updated.get().drill();
            meters.counter(
                            "guardian.snapshot.drills",
                            "cluster",
                            cluster.id(),
                            "result",
                            drill.result().name())
                    .increment();
            if (drill.result() == DrillResult.PASSED) {
                restorable.passed(cluster, updated.get());
            }
            events.publish(
                    EventEnvelope.deterministicId(manifest.snapshotId() + "/" + drill.at(), SnapshotVerified.TYPE),
                    new SnapshotVerified(
                            cluster.id(),
                            manifest.snapshotId(),
                            drill.result(),
                            manifest.revision(),
                            drill.restoredRevision(),
                            manifest.liveKeys(),
                            drill.restoredKeys(),
                            drill.detail(),
                            Duration.between(started, Instant.now()).toMillis(),
                            drill.at()));
            LOG.info("drill of snapshot {}: {} ({})", manifest.snapshotId(), drill.result(), drill.detail());
            return updated.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * For the drills that take a snapshot not drilled yet (after its capture, on schedule): both may
     * have taken the same one before either recorded its result. An operator's verify drills again.
     */
    public SnapshotManifest drillUnlessDrilled(ClusterSpec cluster, SnapshotManifest manifest) {
        ReentrantLock lock = lockOf(cluster);
        lock.lock();
        try {
            SnapshotManifest current =
                    catalog.find(cluster, manifest.snapshotId()).orElse(manifest);
            return current.drill() != null ? current : drill(cluster, manifest);
        } finally {
            lock.unlock();
        }
    }

    private ReentrantLock lockOf(ClusterSpec cluster) {
        return locks.computeIfAbsent(cluster.id(), k -> new ReentrantLock());
    }

    /**
     * A drill that could not run proves nothing about the snapshot: a store out of reach, or a scratch
     * disk without room for the copy, the restored member and its WAL, is thrown (the drill runs again
     * later), never recorded as FAILED — which would make retention and restores distrust a good
     * snapshot.
     */
    private SnapshotManifest.Drill run(ClusterSpec cluster, SnapshotManifest manifest) {
        Path spool = Path.of(settings.spoolDir());
        Path scratch = spool.resolve("drill-" + cluster.id() + "-" + manifest.snapshotId());
        long needed = 2 * manifest.sizeRaw() + WAL_SEGMENTS;
        try {
            Failpoints.hit("drill.started");
            requireRoom(spool, needed);
            return restoreAndCompare(cluster, manifest, scratch);
        } catch (IOException | RuntimeException e) {
            Reason reason = GuardianException.reasonOf(e);
            if (reason == Reason.STORE_UNAVAILABLE
                    || reason == Reason.STORE_ACCESS_DENIED
                    || reason == Reason.STORE_MISSING_BUCKET
                    || reason == Reason.PRECONDITION_FAILED) {
                throw e instanceof GuardianException g ? g : new GuardianException(reason, e.getMessage(), e);
            }
            if (outOfRoom(e)) { // something else filled the disk while the drill ran
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "the drill of " + manifest.snapshotId() + " ran out of room in " + spool + ": "
                                + e.getMessage(),
                        e);
            }
            return new SnapshotManifest.Drill(
                    DrillResult.FAILED, Instant.now(), -1, -1, reason + ": " + e.getMessage());
        } finally {
            EtcdCluster.plan(scratch, 0, 0).delete();
        }
    }

    private static void requireRoom(Path spool, long needed) throws IOException {
        Files.createDirectories(spool);
        long free = Files.getFileStore(spool).getUsableSpace();
        if (free < needed) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    true,
                    "spool " + spool + " has " + free + " bytes free, a drill needs about " + needed
                            + " (the copy, the restored member, its WAL segments)",
                    null);
        }
    }

    /** ENOSPC as the JVM and as etcdutl word it. */
    private static boolean outOfRoom(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null
                    && t.getMessage().toLowerCase(java.util.Locale.ROOT).contains("no space left on device")) {
                return true;
            }
        }
        return false;
    }

    private SnapshotManifest.Drill restoreAndCompare(ClusterSpec cluster, SnapshotManifest manifest, Path scratch)
            throws IOException {
        Files.createDirectories(scratch);
        Path db = fetcher.fetch(cluster, manifest, scratch.resolve("snapshot.db"));
        // an OpenShift backup set is restorable only whole: its tarball must read back, checked and complete
        String set = "";
        if (manifest.staticResources() != null) {
            List<String> resources = StaticResourcesLayout.of(
                    fetcher.fetchStaticResources(cluster, manifest, scratch.resolve("static_kuberesources.tar.gz")));
            if (!resources.equals(manifest.staticResources().resources())) {
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED,
                        "the static_kuberesources tarball holds " + resources + ", its manifest says "
                                + manifest.staticResources().resources());
            }
            set = "; static_kuberesources tarball read back (" + String.join(", ", resources) + ")";
        }
        // the etcd the snapshot came from, where this service has it (GUARDIAN_ETCD_BIN_DIRS)
        EtcdCluster etcd = EtcdCluster.plan(scratch.resolve("etcd"), 1, 0)
                .withBinaries(EtcdBinaries.dirFor(manifest.etcdVersion()));
        etcd.restoreFrom(db, List.of());
        try {
            etcd.start();
            Failpoints.hit("drill.restored");
            try {
                KeyCount count = KeyCount.of(etcd.endpoints(), Duration.ofSeconds(30));
                return new SnapshotManifest.Drill(
                        manifest.heldBy(count) ? DrillResult.PASSED : DrillResult.FAILED,
                        Instant.now(),
                        count.revision(),
                        count.keys(),
                        manifest.comparedWith(count) + set);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuardianException(Reason.INTERNAL, "interrupted", e);
            } catch (Exception e) {
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED, "restored etcd did not answer: " + e.getMessage(), e);
            }
        } finally {
            etcd.stop();
        }
    }
}
