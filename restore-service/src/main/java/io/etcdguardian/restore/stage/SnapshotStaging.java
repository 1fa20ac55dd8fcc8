package io.etcdguardian.restore.stage;

import io.etcdguardian.common.event.Ids;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.restore.config.RestoreSettings;
import io.etcdguardian.restore.plan.RestoreRun;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Gets a snapshot ready to restore from: fetched, decrypted, decompressed and checked (trailer and
 * manifest SHA-256) into the local spool; for restores that happen elsewhere (a Job, a HostedCluster,
 * a host), also uploaded raw next to the cluster's snapshots and handed out through a short-lived
 * presigned URL, so no store credentials reach the cluster. The staged copy is deleted on cleanup.
 */
@Singleton
public class SnapshotStaging {
    private final SnapshotFetcher fetcher;
    private final SnapshotStores stores;
    private final RestoreSettings settings;

    public SnapshotStaging(SnapshotFetcher fetcher, SnapshotStores stores, RestoreSettings settings) {
        this.fetcher = fetcher;
        this.stores = stores;
        this.settings = settings;
    }

    public Path spoolFile(RestoreRun run) {
        return Path.of(settings.spoolDir())
                .resolve(Ids.id(run.restoreId(), "restore id"))
                .resolve("snapshot.db");
    }

    /** The checked snapshot in the spool; fetched again unless a complete copy is there (renamed in only once checked). */
    public Path fetch(RestoreRun run) {
        Path target = spoolFile(run);
        try {
            if (Files.isRegularFile(target)
                    && Files.size(target) == run.manifest().sizeRaw()) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path partial = target.resolveSibling("snapshot.db.part");
            fetcher.fetch(run.cluster(), run.manifest(), partial, run.fetched());
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String stagedKey(RestoreRun run) {
        return SnapshotKeys.staged(run.cluster(), run.restoreId());
    }

    /** Uploads the checked raw snapshot unless it is staged already; returns its key. */
    public String upload(RestoreRun run) {
        SnapshotStore store = stores.of(run.cluster());
        String key = stagedKey(run);
        if (store.size(key).filter(size -> size == run.manifest().sizeRaw()).isPresent()) {
            return key;
        }
        // raw etcd data, every Secret of the cluster in it: encrypted at rest unless the store cannot
        if (settings.stagedEncryption()) {
            store.writeFileEncryptedAtRest(key, fetch(run));
        } else {
            store.writeFile(key, fetch(run));
        }
        return key;
    }

    /** A GET URL for the staged copy, valid for {@code presign-expiry}: a bearer credential, never logged or published. */
    public URL presign(RestoreRun run) {
        return presign(run.cluster(), run.restoreId());
    }

    /** As {@link #presign(RestoreRun)}, for a restore handed over to a host; NOT_FOUND when nothing is staged. */
    public URL presign(ClusterSpec cluster, String restoreId) {
        String key = SnapshotKeys.staged(cluster, restoreId);
        SnapshotStore store = stores.of(cluster);
        if (store.size(key).isEmpty()) {
            throw new io.etcdguardian.common.event.GuardianException(
                    io.etcdguardian.common.event.Reason.NOT_FOUND,
                    "nothing is staged for restore " + restoreId + " of " + cluster.id()
                            + " (it ended, or its copy expired: ask for the restore again)");
        }
        return store.presignGet(key, settings.presignExpiry());
    }

    public java.time.Duration presignExpiry() {
        return settings.presignExpiry();
    }

    /** Removes the staged object and the spool copy. */
    public void clean(RestoreRun run) {
        discard(run.cluster(), run.restoreId());
    }

    /** As {@link #clean}, by id: at the end of a restore, whichever way it ended. */
    public void discard(ClusterSpec cluster, String restoreId) {
        stores.of(cluster).delete(SnapshotKeys.staged(cluster, restoreId));
        io.etcdguardian.localetcd.EtcdCluster.deleteRecursively(
                Path.of(settings.spoolDir()).resolve(Ids.id(restoreId, "restore id")));
    }

    public void cleanSpool(RestoreRun run) {
        io.etcdguardian.localetcd.EtcdCluster.deleteRecursively(spoolFile(run).getParent());
    }
}
