package io.etcdguardian.snapshot.catalog;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.server.types.files.StreamedFile;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/** The committed snapshots of a cluster, as their manifests say (newest last). */
@Secured(Roles.READ)
@Controller("/snapshots")
@ExecuteOn(TaskExecutors.BLOCKING)
public class SnapshotController {
    private final FleetRegistry fleet;
    private final SnapshotCatalog catalog;
    private final SnapshotFetcher fetcher;
    private final SnapshotSettings settings;

    public SnapshotController(
            FleetRegistry fleet, SnapshotCatalog catalog, SnapshotFetcher fetcher, SnapshotSettings settings) {
        this.fleet = fleet;
        this.catalog = catalog;
        this.fetcher = fetcher;
        this.settings = settings;
    }

    @Get("/{clusterId}")
    public List<SnapshotManifest> list(String clusterId) {
        return catalog.list(fleet.require(clusterId));
    }

    @Get("/{clusterId}/{snapshotId}")
    public SnapshotManifest show(String clusterId, String snapshotId) {
        ClusterSpec cluster = fleet.require(clusterId);
        return catalog.require(cluster, snapshotId);
    }

    /**
     * The snapshot as etcd wrote it — decrypted, decompressed, its trailer and the manifest's SHA-256
     * checked before the first byte is sent — for {@code etcdutl snapshot restore} or OpenShift's
     * {@code cluster-restore.sh} on a host. A whole cluster's data, so role {@code restore}; the copy in
     * the spool is deleted once sent.
     */
    @Secured(Roles.RESTORE)
    @Get(value = "/{clusterId}/{snapshotId}/db", produces = MediaType.APPLICATION_OCTET_STREAM)
    public HttpResponse<StreamedFile> database(String clusterId, String snapshotId) throws IOException {
        ClusterSpec cluster = fleet.require(clusterId);
        SnapshotManifest manifest = catalog.require(cluster, snapshotId);
        return send(manifest, ".db", manifest.sha256(), file -> fetcher.fetch(cluster, manifest, file));
    }

    /**
     * The other half of an OpenShift backup set, {@code static_kuberesources_<ts>.tar.gz} as {@code
     * cluster-restore.sh} reads it — decrypted, its SHA-256 checked against the manifest before the first
     * byte is sent. It holds the control plane's private keys: role {@code restore}. 404 for a snapshot
     * that is not a backup set.
     */
    @Secured(Roles.RESTORE)
    @Get(value = "/{clusterId}/{snapshotId}/static-resources", produces = MediaType.APPLICATION_OCTET_STREAM)
    public HttpResponse<StreamedFile> staticResources(String clusterId, String snapshotId) throws IOException {
        ClusterSpec cluster = fleet.require(clusterId);
        SnapshotManifest manifest = catalog.require(cluster, snapshotId);
        return send(
                manifest,
                ".tar.gz",
                manifest.staticResources() == null
                        ? null
                        : manifest.staticResources().sha256(),
                file -> fetcher.fetchStaticResources(cluster, manifest, file));
    }

    /** Fetched into the spool first (checked whole), then streamed; the spool copy goes once it is sent. */
    private HttpResponse<StreamedFile> send(
            SnapshotManifest manifest, String suffix, String sha256, java.util.function.Consumer<Path> fetch)
            throws IOException {
        Path dir = Files.createDirectories(
                Path.of(settings.spoolDir()).resolve("downloads")); // cleared at start: SpoolSweeper
        Path file = dir.resolve(manifest.snapshotId() + "-" + UUID.randomUUID() + suffix);
        try {
            fetch.accept(file);
            InputStream content = new FilterInputStream(Files.newInputStream(file)) {
                @Override
                public void close() throws IOException {
                    super.close();
                    Files.deleteIfExists(file);
                }
            };
            return HttpResponse.ok(new StreamedFile(
                            content,
                            MediaType.APPLICATION_OCTET_STREAM_TYPE,
                            manifest.completedAt().toEpochMilli(),
                            Files.size(file)))
                    .header("X-Guardian-Snapshot-Id", manifest.snapshotId())
                    .header("X-Guardian-Sha256", sha256);
        } catch (RuntimeException | IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }
}
