package io.etcdguardian.restore.stage;

import io.etcdguardian.common.event.Ids;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.restore.RestoreSettings;
import io.etcdguardian.restore.plan.RestoreRun;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Gets a snapshot ready to restore from: fetched, decrypted, decompressed and checked (trailer and
 * manifest SHA-256) into the local spool; for restores that happen elsewhere (a Job, a HostedCluster,
 * a host), also uploaded raw next to the cluster's snapshots and handed out through a short-lived
 * presigned URL, so no store credentials reach the cluster. The staged copy is deleted on cleanup.
 */
@Singleton
public class SnapshotStaging {
    private final SnapshotFetcher fetcher;
    private final S3Clients s3;
    private final RestoreSettings settings;

    public SnapshotStaging(SnapshotFetcher fetcher, S3Clients s3, RestoreSettings settings) {
        this.fetcher = fetcher;
        this.s3 = s3;
        this.settings = settings;
    }

    public Path spoolFile(RestoreRun run) {
        return Path.of(settings.spoolDir()).resolve(Ids.id(run.restoreId(), "restore id")).resolve("snapshot.db");
    }

    /** The checked snapshot in the spool; fetched again unless a complete copy is there (renamed in only once checked). */
    public Path fetch(RestoreRun run) {
        Path target = spoolFile(run);
        try {
            if (Files.isRegularFile(target) && Files.size(target) == run.manifest().sizeRaw()) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path partial = target.resolveSibling("snapshot.db.part");
            fetcher.fetch(run.cluster(), run.manifest(), partial);
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
        ClusterSpec cluster = run.cluster();
        String key = stagedKey(run);
        try {
            var client = s3.client(cluster.store());
            try {
                long size = client.headObject(b -> b.bucket(cluster.store().bucket()).key(key)).contentLength();
                if (size == run.manifest().sizeRaw()) {
                    return key;
                }
            } catch (S3Exception absent) {
                // not staged yet (HEAD answers 404 without a body, so not always as NoSuchKeyException)
            }
            client.putObject(b -> b.bucket(cluster.store().bucket()).key(key), RequestBody.fromFile(fetch(run)));
            return key;
        } catch (RuntimeException e) {
            throw StoreErrors.translate("stage the snapshot for restore " + run.restoreId(), cluster.store().bucket(), e);
        }
    }

    /** A GET URL for the staged copy, valid for {@code presign-expiry}: a bearer credential, never logged or published. */
    public URL presign(RestoreRun run) {
        ClusterSpec cluster = run.cluster();
        try (var presigner = s3.presigner(cluster.store())) {
            return presigner.presignGetObject(b -> b.signatureDuration(settings.presignExpiry())
                    .getObjectRequest(g -> g.bucket(cluster.store().bucket()).key(stagedKey(run)))).url();
        }
    }

    /** Removes the staged object and the spool copy. */
    public void clean(RestoreRun run) {
        ClusterSpec cluster = run.cluster();
        try {
            s3.client(cluster.store()).deleteObject(b -> b.bucket(cluster.store().bucket()).key(stagedKey(run)));
        } catch (RuntimeException e) {
            throw StoreErrors.translate("delete the staged snapshot of restore " + run.restoreId(),
                    cluster.store().bucket(), e);
        }
        cleanSpool(run);
    }

    public void cleanSpool(RestoreRun run) {
        io.etcdguardian.localetcd.EtcdCluster.deleteRecursively(spoolFile(run).getParent());
    }
}
