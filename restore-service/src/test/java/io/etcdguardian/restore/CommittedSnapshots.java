package io.etcdguardian.restore;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.Etcdctl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Puts a real snapshot of a real etcd into the store as snapshot-service commits one (object, then
 * manifest, in its layout), so restore-service's tests do not need that service running. The drill
 * result is set as a passed drill would set it; the drill itself is snapshot-service's, tested there,
 * and the whole chain runs in the end-to-end tests.
 */
final class CommittedSnapshots {
    private CommittedSnapshots() {}

    static SnapshotManifest commit(
            Backplane backplane, String prefix, String clusterId, EtcdCluster etcd, Path dir, String clusterVersion)
            throws Exception {
        return commit(backplane.s3(), backplane.bucket(), prefix, clusterId, etcd, dir, clusterVersion);
    }

    static SnapshotManifest commit(
            io.etcdguardian.backplane.S3ProxyServer store,
            String bucket,
            String prefix,
            String clusterId,
            EtcdCluster etcd,
            Path dir,
            String clusterVersion)
            throws Exception {
        long revision;
        long keys;
        try (Client client = Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build()) {
            ByteSequence all = ByteSequence.from(new byte[] {0});
            GetResponse count = client.getKVClient()
                    .get(
                            all,
                            GetOption.builder()
                                    .withRange(all)
                                    .withCountOnly(true)
                                    .build())
                    .get(30, TimeUnit.SECONDS);
            revision = count.getHeader().getRevision();
            keys = count.getCount();
        }
        Path file = dir.resolve("snapshot-" + UUID.randomUUID() + ".db");
        Etcdctl.run(List.of(
                EtcdBinaries.etcdctl().toString(),
                "--endpoints=" + etcd.endpoints().get(0),
                "snapshot",
                "save",
                file.toString()));
        byte[] bytes = Files.readAllBytes(file);
        // the etcd it came from, as snapshot-service records it: restores choose their tools by it
        java.util.regex.Matcher version = java.util.regex.Pattern.compile("\"version\":\"([^\"]+)\"")
                .matcher(Etcdctl.run(List.of(
                        EtcdBinaries.etcdctl().toString(),
                        "--endpoints=" + etcd.endpoints().get(0),
                        "endpoint",
                        "status",
                        "-w",
                        "json")));
        String etcdVersion = version.find() ? version.group(1) : "unknown";
        String trailer = HexFormat.of().formatHex(bytes, bytes.length - 32, bytes.length);
        String snapshotId = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                        .withZone(java.time.ZoneOffset.UTC)
                        .format(Instant.now())
                + "-" + UUID.randomUUID().toString().substring(0, 6);
        String base = prefix + clusterId + "/";
        String objectKey = base + "snapshots/" + snapshotId + ".db";
        SnapshotManifest manifest = new SnapshotManifest(
                SnapshotManifest.FORMAT_VERSION,
                clusterId,
                snapshotId,
                "fixture",
                "ON_DEMAND",
                Instant.now(),
                Instant.now(),
                etcd.endpoints().get(0),
                etcdVersion,
                clusterVersion,
                revision,
                -1,
                keys,
                null,
                bytes.length,
                bytes.length,
                trailer,
                "none",
                null,
                objectKey,
                null,
                new SnapshotManifest.Drill(DrillResult.PASSED, Instant.now(), revision, keys, "fixture"),
                0L,
                null,
                null);
        var s3 = store.client();
        s3.putObject(b -> b.bucket(bucket).key(objectKey), RequestBody.fromFile(file));
        s3.putObject(
                b -> b.bucket(bucket).key(base + "manifests/" + snapshotId + ".json"),
                RequestBody.fromBytes(EventJson.MAPPER.writeValueAsBytes(manifest)));
        Files.delete(file);
        return manifest;
    }
}
