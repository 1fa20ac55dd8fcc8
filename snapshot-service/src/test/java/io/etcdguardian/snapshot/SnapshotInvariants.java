package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdInputStream;
import io.etcdguardian.backplane.S3ProxyServer;
import io.etcdguardian.common.digest.TrailerDigest;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.localetcd.EtcdBinaries;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What must hold for one cluster's snapshots after any fault, read from the store and the spool as a
 * restore would read them: every committed snapshot restores to its manifest's revision (trailer,
 * SHA-256, {@code etcdutl snapshot status}); a request committed at most once; the newest restorable
 * snapshot still there; no multipart upload, object without a manifest, spool file, drill scratch
 * directory or scratch etcd left.
 */
record SnapshotInvariants(S3ProxyServer s3, String bucket, String cluster, Path spool, Path scratch) {

    /** {@code request}: the faulted request, committed at most once (exactly once if {@code committed}). */
    void hold(String request, boolean committed, String newestRestorableBefore) throws Exception {
        List<JsonNode> manifests = manifests();
        assertThat(manifests)
                .filteredOn(m -> m.path("requestId").asText().equals(request))
                .as("the request's snapshot, " + (committed ? "once" : "at most once"))
                .hasSize(committed ? 1 : 0);
        Set<String> objects = new HashSet<>();
        for (JsonNode m : manifests) {
            objects.add(m.path("objectKey").asText());
            restoresToItsManifest(m);
        }
        if (newestRestorableBefore != null) {
            assertThat(newestRestorable())
                    .as("the newest restorable snapshot, or a newer one, is still there")
                    .isGreaterThanOrEqualTo(newestRestorableBefore);
        }
        try (S3Client client = s3.client()) {
            assertThat(client.listMultipartUploads(b -> b.bucket(bucket).prefix(cluster + "/"))
                            .uploads())
                    .as("multipart uploads")
                    .isEmpty();
            assertThat(client.listObjectsV2(b -> b.bucket(bucket).prefix(cluster + "/snapshots/"))
                            .contents())
                    .extracting(o -> o.key())
                    .as("objects without a manifest")
                    .allMatch(objects::contains);
        }
        if (Files.isDirectory(spool)) {
            try (Stream<Path> left = Files.list(spool)) {
                assertThat(left.filter(p -> (Files.isRegularFile(p)
                                                && p.getFileName().toString().startsWith(cluster))
                                        || p.getFileName().toString().startsWith("drill-"))
                                .toList())
                        .as("spool files and drill scratch directories")
                        .isEmpty();
            }
        }
        assertThat(ProcessHandle.allProcesses()
                        .filter(p -> p.info()
                                .commandLine()
                                .map(c -> c.contains(spool.toString()) && c.contains("etcd"))
                                .orElse(false))
                        .toList())
                .as("scratch etcds running")
                .isEmpty();
    }

    List<JsonNode> manifests() throws Exception {
        List<JsonNode> all = new ArrayList<>();
        try (S3Client client = s3.client()) {
            for (var o : client.listObjectsV2(b -> b.bucket(bucket).prefix(cluster + "/manifests/"))
                    .contents()) {
                try {
                    all.add(EventJson.MAPPER.readTree(
                            client.getObjectAsBytes(b -> b.bucket(bucket).key(o.key()))
                                    .asByteArray()));
                } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException deleted) {
                    // retention removed it between the listing and the read: not committed any more
                }
            }
        }
        return all;
    }

    /** The newest snapshot whose drill passed (ids sort by time), or null. */
    String newestRestorable() throws Exception {
        return manifests().stream()
                .filter(m -> "PASSED".equals(m.path("drill").path("result").asText()))
                .map(m -> m.path("snapshotId").asText())
                .max(String::compareTo)
                .orElse(null);
    }

    /** The result of a snapshot's drill as its manifest records it ("" when not drilled yet). */
    String drillOf(String snapshotId) throws Exception {
        return manifests().stream()
                .filter(m -> m.path("snapshotId").asText().equals(snapshotId))
                .map(m -> m.path("drill").path("result").asText())
                .findFirst()
                .orElse("");
    }

    /** Its trailer, its SHA-256 and its revision as etcdutl reads it: what a restore would get. */
    private void restoresToItsManifest(JsonNode manifest) throws Exception {
        Files.createDirectories(scratch);
        Path raw = scratch.resolve("check.db");
        try (S3Client client = s3.client();
                InputStream object = client.getObject(
                        b -> b.bucket(bucket).key(manifest.path("objectKey").asText()));
                InputStream plain =
                        "zstd".equals(manifest.path("compression").asText()) ? new ZstdInputStream(object) : object;
                TrailerDigest digest = new TrailerDigest(Files.newOutputStream(raw))) {
            plain.transferTo(digest);
            digest.flush();
            assertThat(digest.check()).isEqualTo(manifest.path("sha256").asText());
        }
        Process status = new ProcessBuilder(
                        EtcdBinaries.snapshotTool().toString(), "snapshot", "status", raw.toString(), "-w", "json")
                .redirectErrorStream(true)
                .start();
        String answer = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(status.waitFor()).as(answer).isZero();
        assertThat(EventJson.MAPPER.readTree(answer).path("revision").asLong())
                .isEqualTo(manifest.path("revision").asLong());
        Files.delete(raw);
    }
}
