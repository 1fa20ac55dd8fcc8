package io.etcdguardian.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.s3.S3Clients;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What every caller relies on, held by both stores: S3 (S3Proxy) and a directory. */
@ExtendWith(BackplaneExtension.class)
class SnapshotStoreContractIT {
    @TempDir
    Path dir;

    private SnapshotStore store(String kind, Backplane backplane) throws Exception {
        Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
        StoreSpec spec = kind.equals("s3")
                ? new StoreSpec(
                        backplane.bucket(),
                        null,
                        null,
                        backplane.s3().endpoint(),
                        credentials.toString(),
                        null,
                        null,
                        null,
                        null)
                : new StoreSpec(
                        "snapshots", null, null, dir.resolve("store").toUri().toString(), null, null, null, null, null);
        return new SnapshotStores(new S3Clients()).of(spec);
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void objectsAreWrittenListedReadAndDeleted(String kind, Backplane backplane) throws Exception {
        SnapshotStore store = store(kind, backplane);
        String prefix = "contract-" + UUID.randomUUID() + "/";
        store.write(prefix + "a.json", "{}".getBytes(StandardCharsets.UTF_8), "application/json");
        Path file = Files.writeString(dir.resolve("b.db"), "bbb");
        store.writeFile(prefix + "sub/b.db", file);

        assertThat(store.list(prefix))
                .extracting(SnapshotStore.Entry::key)
                .containsExactlyInAnyOrder(prefix + "a.json", prefix + "sub/b.db");
        assertThat(store.size(prefix + "sub/b.db")).contains(3L);
        assertThat(store.read(prefix + "a.json"))
                .get()
                .extracting(b -> new String(b, StandardCharsets.UTF_8))
                .isEqualTo("{}");
        assertThat(store.read(prefix + "missing")).isEmpty();
        assertThat(store.size(prefix + "missing")).isEmpty();
        assertThatThrownBy(() -> store.open(prefix + "missing"))
                .isInstanceOf(GuardianException.class)
                .satisfies(e -> assertThat(((GuardianException) e).reason()).isEqualTo(Reason.NOT_FOUND));
        store.delete(prefix + "a.json");
        assertThat(store.list(prefix)).extracting(SnapshotStore.Entry::key).containsExactly(prefix + "sub/b.db");
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void aListingStopsAtItsLastKeyAndABatchDeletesAll(String kind, Backplane backplane) throws Exception {
        SnapshotStore store = store(kind, backplane);
        String prefix = "contract-" + UUID.randomUUID() + "/";
        List<String> keys = java.util.stream.IntStream.range(0, 1203)
                .mapToObj(i -> String.format("%s%05d.json", prefix, i))
                .toList();
        for (String key : keys) {
            store.write(key, new byte[] {1}, "application/json");
        }
        SnapshotStore.Listing upTo = store.listUpTo(prefix, prefix + "00001.json");
        assertThat(upTo.entries()).extracting(SnapshotStore.Entry::key).containsExactly(keys.get(0), keys.get(1));
        assertThat(upTo.more()).isTrue();
        SnapshotStore.Listing all = store.listUpTo(prefix, prefix + "~");
        assertThat(all.entries()).extracting(SnapshotStore.Entry::key).containsExactlyElementsOf(keys);
        assertThat(all.more()).isFalse();
        // more than one DeleteObjects call's worth (1,000), and a key that was never there
        List<String> doomed = new java.util.ArrayList<>(keys.subList(0, 1201));
        doomed.add(prefix + "never-written.json");
        store.deleteAll(doomed);
        assertThat(store.list(prefix))
                .extracting(SnapshotStore.Entry::key)
                .containsExactlyInAnyOrderElementsOf(keys.subList(1201, 1203));
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void aConditionalWriteLosesToAnyChangeSinceItsRead(String kind, Backplane backplane) throws Exception {
        SnapshotStore store = store(kind, backplane);
        String key = "contract-" + UUID.randomUUID() + "/lease.json";
        assertThat(store.compareAndSet(key, bytes("one"), null)).isTrue();
        assertThat(store.compareAndSet(key, bytes("again"), null))
                .as("only if absent")
                .isFalse();
        String version = store.readVersioned(key).orElseThrow().version();
        assertThat(store.compareAndSet(key, bytes("two"), version)).isTrue();
        assertThat(store.compareAndSet(key, bytes("three"), version))
                .as("a stale version")
                .isFalse();
        assertThat(new String(store.read(key).orElseThrow(), StandardCharsets.UTF_8))
                .isEqualTo("two");
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void multipartUploadsCommitWholeOrLeaveNothing(String kind, Backplane backplane) throws Exception {
        SnapshotStore store = store(kind, backplane);
        String prefix = "contract-" + UUID.randomUUID() + "/";
        byte[] part1 = new byte[5 * 1024 * 1024]; // S3's minimum for every part but the last
        java.util.Arrays.fill(part1, (byte) 'x');
        byte[] part2 = bytes("the end");
        SnapshotStore.MultipartWrite write = store.startMultipart(prefix + "whole.db");
        assertThat(store.pendingUploads(prefix))
                .extracting(SnapshotStore.PendingUpload::uploadId)
                .contains(write.uploadId());
        List<SnapshotStore.Part> parts = List.of(
                write.upload(1, java.nio.ByteBuffer.wrap(part1), sha256(part1)),
                write.upload(2, java.nio.ByteBuffer.wrap(part2), sha256(part2)));
        assertThat(store.list(prefix)).as("nothing visible before completion").isEmpty();
        write.complete(parts);
        try (InputStream in = store.open(prefix + "whole.db")) {
            byte[] all = in.readAllBytes();
            assertThat(all).hasSize(part1.length + part2.length);
            assertThat(new String(all, part1.length, part2.length, StandardCharsets.UTF_8))
                    .isEqualTo("the end");
        }

        SnapshotStore.MultipartWrite abandoned = store.startMultipart(prefix + "never.db");
        abandoned.upload(1, java.nio.ByteBuffer.wrap(part2), sha256(part2));
        store.pendingUploads(prefix).forEach(store::abort);
        assertThat(store.pendingUploads(prefix)).isEmpty();
        assertThat(store.list(prefix)).extracting(SnapshotStore.Entry::key).containsExactly(prefix + "whole.db");
    }

    @ParameterizedTest
    @ValueSource(strings = {"directory"})
    void aDirectoryStoreRefusesPathsOutsideItAndUrls(String kind, Backplane backplane) throws Exception {
        SnapshotStore store = store(kind, backplane);
        assertThatThrownBy(() -> store.write("../escape", bytes("x"), "text/plain"))
                .hasMessageContaining("is not a store key");
        assertThatThrownBy(() -> store.presignGet("a", Duration.ofMinutes(1)))
                .hasMessageContaining("cannot hand out URLs");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return Base64.getEncoder()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
