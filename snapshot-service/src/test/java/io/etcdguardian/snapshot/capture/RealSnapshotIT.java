package io.etcdguardian.snapshot.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.digest.TrailerDigest;
import io.etcdguardian.common.snapshot.BoltStats;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.Etcdctl;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The trailer check and the bbolt reader against a snapshot that the real etcdctl saved. */
@ExtendWith(BackplaneExtension.class)
class RealSnapshotIT {
    @TempDir
    static Path dir;

    static byte[] snapshot;
    static Path file;
    static long liveKeys;

    @BeforeAll
    static void save(Backplane backplane) throws IOException {
        String prefix = "/real-" + UUID.randomUUID();
        for (int i = 0; i < 50; i++) {
            backplane.etcd().etcdctl("put", prefix + "/k" + i, "v" + i);
        }
        backplane.etcd().etcdctl("del", prefix + "/k0");
        file = dir.resolve("etcdctl.db");
        Etcdctl.run(List.of(
                EtcdBinaries.etcdctl().toString(),
                "--endpoints=" + backplane.etcd().endpoints().get(0),
                "snapshot",
                "save",
                file.toString()));
        snapshot = Files.readAllBytes(file);
        // what 3.6's snapshot status counts (3.4's etcdctl has no --count-only, and does not need it)
        if (EtcdBinaries.etcdutl().isPresent()) {
            java.util.regex.Matcher count = java.util.regex.Pattern.compile("\"Count\" : (\\d+)")
                    .matcher(backplane.etcd().etcdctl("get", "\u0001", "--from-key", "--count-only", "-w", "fields"));
            liveKeys = count.find() ? Long.parseLong(count.group(1)) : -1;
        }
    }

    @Test
    void acceptsAnIntactStreamWrittenInChunksOfAnySize() throws Exception {
        Random random = new Random(7);
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        TrailerDigest digest = new TrailerDigest(copy);
        for (int at = 0; at < snapshot.length; ) {
            int n = Math.min(snapshot.length - at, random.nextInt(3) == 0 ? random.nextInt(40) : random.nextInt(70000));
            if (n == 1) {
                digest.write(snapshot[at]);
            } else {
                digest.write(snapshot, at, n);
            }
            at += n;
        }
        String sha = digest.check();
        assertThat(copy.toByteArray()).isEqualTo(snapshot);
        assertThat(sha)
                .isEqualTo(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256")
                                .digest(java.util.Arrays.copyOf(snapshot, snapshot.length - 32))));
        assertThat(snapshot.length % 512).isEqualTo(32);
    }

    @Test
    void rejectsATruncatedStream() {
        assertThatThrownBy(() -> feed(java.util.Arrays.copyOf(snapshot, snapshot.length - 4096))
                        .check())
                .isInstanceOf(TrailerDigest.IntegrityException.class)
                .hasMessageContaining("SHA-256");
        assertThatThrownBy(() -> feed(java.util.Arrays.copyOf(snapshot, snapshot.length - 1))
                        .check())
                .hasMessageContaining("not 32 more than a multiple of 512");
    }

    @Test
    void rejectsAFlippedByteAnywhere() {
        for (int position : new int[] {0, 4096, snapshot.length / 2, snapshot.length - 33, snapshot.length - 1}) {
            byte[] corrupted = snapshot.clone();
            corrupted[position] ^= 0x01;
            assertThatThrownBy(() -> feed(corrupted).check())
                    .as("flip at " + position)
                    .isInstanceOf(TrailerDigest.IntegrityException.class);
        }
    }

    @Test
    void readsRevisionKeysAndHashLikeEtcdctl() throws IOException {
        String table = Etcdctl.run(
                List.of(EtcdBinaries.snapshotTool().toString(), "snapshot", "status", file.toString(), "-w", "simple"));
        // "hash, revision, total keys, total size"
        String[] fields = table.strip().split(",\\s*");
        BoltStats stats = BoltStats.read(file);
        assertThat(stats.hash()).isEqualTo(fields[0]);
        assertThat(stats.lastKeyRevision()).isEqualTo(Long.parseLong(fields[1]));
        assertThat(stats.revision()).isEqualTo(stats.lastKeyRevision());
        if (fields.length > 4) {
            // 3.6's etcdutl adds the storage version and counts live keys (not tombstoned), not bbolt keys
            assertThat(Long.parseLong(fields[2])).isEqualTo(liveKeys);
        } else {
            assertThat(stats.totalKeys()).isEqualTo(Long.parseLong(fields[2]));
        }
    }

    @Test
    void revisionIsWhatARestoredMemberReportsEvenWhenCompactionRemovedTheHead() {
        EtcdCluster source = EtcdCluster.plan(dir.resolve("compacted"), 1, 0).start();
        EtcdCluster restored = EtcdCluster.plan(dir.resolve("compacted-restored"), 1, 0);
        try {
            source.etcdctl("put", "/a", "1");
            source.etcdctl("put", "/b", "2");
            source.etcdctl("del", "/b"); // revision 4: a tombstone at the head
            source.etcdctl("compact", "4"); // removes it: the newest key is now revision 2
            Path db = dir.resolve("compacted.db");
            source.etcdctl("snapshot", "save", db.toString());
            BoltStats stats = BoltStats.read(db);
            // 3.4 and 3.5 remove the tombstone at the compaction revision; 3.6 keeps the newest revision
            assertThat(stats.lastKeyRevision()).isIn(2L, 4L);
            assertThat(stats.revision()).isEqualTo(4);

            restored.restoreFrom(db, List.of());
            restored.start();
            assertThat(restored.etcdctl("endpoint", "status", "-w", "json")).contains("\"revision\":4");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            source.stop();
            restored.stop();
        }
    }

    @Test
    void refusesAFileThatIsNotBbolt() throws IOException {
        Path junk = Files.write(dir.resolve("junk.db"), new byte[8192]);
        assertThatThrownBy(() -> BoltStats.read(junk)).hasMessageContaining("not a bbolt file");
    }

    private static TrailerDigest feed(byte[] bytes) throws IOException {
        TrailerDigest digest = new TrailerDigest(OutputStream.nullOutputStream());
        digest.write(bytes, 0, bytes.length);
        return digest;
    }
}
