package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotFetcher;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.snapshot.drill.RestoreDrill;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The corruption corpus: real stored objects (zstd, and zstd + client-side encryption, more than one
 * 1 MiB encryption segment) damaged every way a store, a copy or a hand can damage them — one bit
 * flipped at 100 offsets from the first byte to the last, truncated at 20 lengths, garbage appended,
 * another snapshot's object in its place, the manifest's hashes, revision and key count edited, one
 * manifest under another's name. Every case must be refused with INTEGRITY_FAILED by a restore's
 * fetch ({@link SnapshotFetcher}, what restore-service stages from) and by the drill, before an etcd
 * is started from it; the undamaged set must then still pass both.
 */
@ExtendWith(BackplaneExtension.class)
class CorruptionCorpusIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String ZSTD = "corpus-z-" + RUN;
    private static final String SEALED = "corpus-e-" + RUN;

    @TempDir
    static Path dir;

    static Backplane backplane;
    static ApplicationContext context;
    static EventStream stream;

    @BeforeAll
    static void start(Backplane shared) throws Exception {
        backplane = shared;
        try (Client client = Client.builder()
                .endpoints(shared.etcd().endpoints().toArray(String[]::new))
                .build()) {
            byte[] value = new byte[256 << 10];
            Random random = new Random(7);
            for (int i = 0; i < 6; i++) {
                random.nextBytes(value); // incompressible: the stored objects span two encryption segments
                client.getKVClient()
                        .put(ByteSequence.from(("/corpus-" + RUN + "/" + i).getBytes()), ByteSequence.from(value))
                        .get();
            }
        }
        Path key = Files.writeString(
                dir.resolve("snapshot.key"),
                Base64.getEncoder().encodeToString("corpus-key-corpus-key-corpus-key".getBytes()));
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  etcd: { endpoints: [%s] }
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                clusters:
                  - id: %s
                  - id: %s
                    store: { encryption: { keyFile: %s, keyId: corpus } }
                """.formatted(
                        String.join(", ", shared.etcd().endpoints()),
                        shared.bucket(),
                        shared.s3().endpoint(),
                        SnapshotRequests.credentials(shared, dir),
                        ZSTD,
                        SEALED,
                        key));
        context = ApplicationContext.run(Map.of(
                "kafka.bootstrap.servers",
                shared.kafka().bootstrapServers(),
                "guardian.fleet.file",
                fleet.toString(),
                "guardian.snapshot.group",
                "corpus-" + RUN,
                "guardian.snapshot.spool-dir",
                dir.resolve("spool").toString(),
                "guardian.snapshot.attempts",
                1,
                "guardian.snapshot.drill.enabled",
                "false"));
        stream = new EventStream(shared.kafka().bootstrapServers());
    }

    @AfterAll
    static void stop() {
        stream.close();
        context.close();
    }

    @Test
    void everyDamagedObjectOrManifestIsRefusedBeforeAnEtcdStartsFromIt() throws Exception {
        Map<String, int[]> table = new LinkedHashMap<>();
        for (String cluster : List.of(ZSTD, SEALED)) {
            SnapshotCompleted a = (SnapshotCompleted) SnapshotRequests.outcome(stream, cluster);
            // a write in between: on 3.4 two snapshots of an idle member are byte for byte the same
            try (Client client = Client.builder()
                    .endpoints(backplane.etcd().endpoints().toArray(String[]::new))
                    .build()) {
                client.getKVClient()
                        .put(
                                ByteSequence.from(("/corpus-" + RUN + "/between").getBytes()),
                                ByteSequence.from(cluster.getBytes()))
                        .get();
            }
            SnapshotCompleted b = (SnapshotCompleted) SnapshotRequests.outcome(stream, cluster);
            ClusterSpec spec = context.getBean(FleetRegistry.class).require(cluster);
            SnapshotCatalog catalog = context.getBean(SnapshotCatalog.class);
            SnapshotManifest manifest = catalog.require(spec, a.snapshotId());
            String aKey = SnapshotKeys.manifest(spec, a.snapshotId());
            byte[] aManifest = read(aKey); // each drill below records its result in it: put back at the end
            assertThat(manifest.objectKey()).endsWith(cluster.equals(SEALED) ? ".db.zst.enc" : ".db.zst");
            byte[] object = read(manifest.objectKey());
            byte[] other = read(catalog.require(spec, b.snapshotId()).objectKey());
            assertThat(other).as("a different snapshot").isNotEqualTo(object);
            String column = cluster.equals(SEALED) ? "zstd + encryption" : "zstd";
            if (cluster.equals(SEALED)) {
                assertThat(object.length)
                        .as("more than one 1 MiB encryption segment")
                        .isGreaterThan(1 << 20);
            }

            for (int i = 0; i < 100; i++) {
                long offset = (long) i * (object.length - 1) / 99; // the first byte, the last, and between
                byte[] flipped = object.clone();
                flipped[(int) offset] ^= (byte) (1 << (i % 8));
                check(table, "one bit flipped (100 offsets)", column, spec, manifest, flipped);
            }
            for (int k = 0; k < 20; k++) {
                check(table, "truncated (20 lengths)", column, spec, manifest, java.util.Arrays.copyOf(object, (int)
                        ((long) k * (object.length - 1) / 19)));
            }
            byte[] garbage = new byte[1024];
            new Random(11).nextBytes(garbage);
            for (byte[] tail : List.of(new byte[1], garbage, object)) {
                byte[] appended = java.util.Arrays.copyOf(object, object.length + tail.length);
                System.arraycopy(tail, 0, appended, object.length, tail.length);
                check(table, "appended (a byte, 1 KiB, itself)", column, spec, manifest, appended);
            }
            check(table, "another snapshot's object in its place", column, spec, manifest, other);
            put(manifest.objectKey(), object);

            String flippedHex = (manifest.sha256().charAt(0) == '0' ? "1" : "0")
                    + manifest.sha256().substring(1);
            for (SnapshotManifest edited : List.of(
                    edit(manifest, Map.of("sha256", flippedHex)),
                    edit(manifest, Map.of("revision", manifest.revision() + 1)),
                    edit(manifest, Map.of("totalKeys", manifest.totalKeys() - 1)),
                    edit(manifest, Map.of("boltHash", "00000000")))) {
                check(table, "manifest edited (sha256, revision, keys, hash)", column, spec, edited, object);
            }

            // a manifest under another snapshot's name: the catalogue a restore and a drill read refuses it
            put(aKey, read(SnapshotKeys.manifest(spec, b.snapshotId())));
            boolean refused;
            try {
                catalog.require(spec, a.snapshotId());
                refused = false;
            } catch (GuardianException e) {
                refused =
                        e.reason() == Reason.INTEGRITY_FAILED && e.getMessage().contains("not the one its name says");
            }
            assertThat(catalog.list(spec))
                    .as("the others stay listed")
                    .extracting(SnapshotManifest::snapshotId)
                    .contains(b.snapshotId())
                    .doesNotContain(a.snapshotId());
            count(table, "manifests swapped", column, refused);
            put(aKey, aManifest);

            // the control: undamaged, the same set passes the fetch and the drill
            SnapshotManifest intact = catalog.require(spec, a.snapshotId());
            context.getBean(SnapshotFetcher.class).fetch(spec, intact, dir.resolve("control.db"));
            assertThat(context.getBean(RestoreDrill.class)
                            .drill(spec, intact)
                            .drill()
                            .result())
                    .isEqualTo(DrillResult.PASSED);
        }

        StringBuilder printed =
                new StringBuilder(String.format("%-48s %12s %18s%n", "corruption", "zstd", "zstd + encryption"));
        int total = 0;
        int rejected = 0;
        for (String family : families(table)) {
            int[] z = table.get(family + "|zstd");
            int[] e = table.get(family + "|zstd + encryption");
            printed.append(String.format("%-48s %12s %18s%n", family, z[1] + " of " + z[0], e[1] + " of " + e[0]));
            total += z[0] + e[0];
            rejected += z[1] + e[1];
        }
        printed.append("rejected ")
                .append(rejected)
                .append(" of ")
                .append(total)
                .append(" (each by a restore's fetch and by the drill, INTEGRITY_FAILED)");
        System.out.println(printed);
        assertThat(total).isGreaterThanOrEqualTo(2 * (100 + 20 + 3 + 1 + 4 + 1));
        assertThat(rejected).as(printed.toString()).isEqualTo(total);
    }

    /** One damaged set, through both readers: rejected only if both refuse it for its integrity. */
    private static void check(
            Map<String, int[]> table,
            String family,
            String column,
            ClusterSpec cluster,
            SnapshotManifest manifest,
            byte[] object) {
        put(manifest.objectKey(), object);
        Path target = dir.resolve("fetched.db");
        boolean fetchRefused =
                refusedForIntegrity(() -> context.getBean(SnapshotFetcher.class).fetch(cluster, manifest, target));
        SnapshotManifest.Drill drill =
                context.getBean(RestoreDrill.class).drill(cluster, manifest).drill();
        boolean drillRefused = drill.result() == DrillResult.FAILED
                && drill.detail().startsWith("INTEGRITY_FAILED")
                && drill.restoredRevision() == -1; // -1: no etcd was started from it
        count(table, family, column, fetchRefused && drillRefused);
    }

    private static boolean refusedForIntegrity(Supplier<?> read) {
        try {
            read.get();
            return false;
        } catch (GuardianException e) {
            return e.reason() == Reason.INTEGRITY_FAILED
                    && e.getMessage() != null
                    && !e.getMessage().isBlank();
        }
    }

    private static void count(Map<String, int[]> table, String family, String column, boolean rejected) {
        int[] cell = table.computeIfAbsent(family + "|" + column, k -> new int[2]);
        cell[0]++;
        if (rejected) {
            cell[1]++;
        }
    }

    private static List<String> families(Map<String, int[]> table) {
        List<String> families = new ArrayList<>();
        for (String key : table.keySet()) {
            String family = key.substring(0, key.indexOf('|'));
            if (!families.contains(family)) {
                families.add(family);
            }
        }
        return families;
    }

    @SuppressWarnings("unchecked")
    private static SnapshotManifest edit(SnapshotManifest manifest, Map<String, Object> changes) throws Exception {
        Map<String, Object> json = EventJson.MAPPER.convertValue(manifest, Map.class);
        json.putAll(changes);
        return EventJson.MAPPER.convertValue(json, SnapshotManifest.class);
    }

    private static byte[] read(String key) {
        try (S3Client s3 = backplane.s3().client()) {
            return s3.getObjectAsBytes(b -> b.bucket(backplane.bucket()).key(key))
                    .asByteArray();
        }
    }

    private static void put(String key, byte[] bytes) {
        try (S3Client s3 = backplane.s3().client()) {
            s3.putObject(b -> b.bucket(backplane.bucket()).key(key), RequestBody.fromBytes(bytes));
        }
    }
}
