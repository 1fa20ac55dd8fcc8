package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.cli.local.LocalServices;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetParser;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalKeys;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.store.SnapshotStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous backup as an operator meets it, with the four services as processes and the journal on: a
 * backup; writes after it; then the wrong delete. `guardianctl restore --to-revision` (the revision before
 * the delete) brings back every key as it was then — the writes made after the last snapshot included,
 * which a restore of that snapshot would lose — and `--to-time` plans the same moment by its time.
 */
class PointInTimeRestoreSystemIT {
    private static final String CLUSTER = "pit";
    private static final ByteSequence PREFIX = bytes("/registry/pit/");

    @TempDir
    Path state;

    @Test
    void theWrongDeleteIsUndoneToTheRevisionBeforeItWithNoWriteLost() throws Exception {
        Backplane backplane =
                Backplane.startOrReuse(state, new Backplane.Options(3, 0, "etcd-snapshots"), TopicSpec.ofContract());
        LocalServices services = new LocalServices(
                backplane.stateDir(), Path.of("..").toAbsolutePath().normalize());
        Path credentials = backplane.s3().writeCredentials(state.resolve("s3.properties"));
        String fleetYaml = """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                    kubernetes: { kind: local }
                    restore: { localDir: %s }
                """.formatted(
                        CLUSTER,
                        String.join(", ", backplane.etcd().endpoints()),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials,
                        backplane.etcd().dir());
        Path fleet = Files.writeString(state.resolve("fleet.yaml"), fleetYaml);
        ClusterSpec cluster = FleetParser.parseDocument(fleetYaml).clusters().get(CLUSTER);
        JournalStore journal =
                new JournalStore(new SnapshotStores(new S3Clients()), new EncryptionKeys(new KubernetesClients("")));
        try (Client etcd = Client.builder()
                .endpoints(backplane.etcd().endpoints().toArray(String[]::new))
                .build()) {
            services.start(
                    Map.of(
                            "KAFKA_BOOTSTRAP_SERVERS", backplane.kafka().bootstrapServers(),
                            "GUARDIAN_FLEET_FILE", fleet.toString(),
                            "GUARDIAN_JOURNAL_ENABLED", "true",
                            "GUARDIAN_JOURNAL_SEGMENT_INTERVAL", "500ms",
                            "GUARDIAN_JOURNAL_CATALOG_INTERVAL", "1s",
                            "GUARDIAN_SNAPSHOT_DRILL_AFTER_CAPTURE_MAX_BYTES", "0"),
                    Duration.ofSeconds(120));
            for (int i = 0; i < 100; i++) {
                put(etcd, "/registry/pit/" + i, "v" + i);
            }
            assertThat(ctl("backup", CLUSTER).exit()).isZero();
            // after the last snapshot: new keys, overwrites, a delete
            for (int i = 0; i < 50; i++) {
                put(etcd, "/registry/pit/late-" + i, "late" + i);
            }
            for (int i = 0; i < 10; i++) {
                put(etcd, "/registry/pit/" + i, "changed" + i);
            }
            etcd.getKVClient().delete(bytes("/registry/pit/99")).get(10, TimeUnit.SECONDS);
            long before = revision(etcd);
            Map<String, String> then = state(etcd);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> journal.segments(cluster, JournalEpoch.FIRST).stream()
                                    .mapToLong(JournalKeys.Range::to)
                                    .max()
                                    .orElse(0)
                            >= before);
            java.time.Instant beforeTime =
                    journal.arrivalOf(cluster, JournalEpoch.FIRST, before).orElseThrow();
            // what the journal makes restorable, from the fleet catalogue
            java.util.regex.Pattern covered = java.util.regex.Pattern.compile(
                    "journal of " + CLUSTER + " \\(epoch e0+\\): revisions \\d+-(\\d+) restorable"
                            + " \\(--to-revision, --to-time\\), last received \\S+ ago");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                java.util.regex.Matcher m =
                        covered.matcher(ctl("status", CLUSTER).out());
                return m.find() && Long.parseLong(m.group(1)) >= before;
            });

            // the wrong delete
            etcd.getKVClient()
                    .delete(PREFIX, DeleteOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS);
            assertThat(state(etcd)).isEmpty();

            Guardianctl.Run byTime = ctl(
                    "restore", CLUSTER, "--to-time", beforeTime.plusMillis(1).toString(), "--dry-run");
            assertThat(byTime.exit()).isZero();
            assertThat(byTime.out())
                    .contains("point in time: " + CLUSTER + " as it was at time")
                    .containsPattern("snapshot \\S+ of " + CLUSTER + ": revision " + before + ",")
                    .containsPattern("point in time: revision " + before + " \\(received \\S+\\), made from snapshot"
                            + " \\S+ \\(revision \\d+\\) and \\d+ journal segments of epoch e0+ \\(\\d+-\\d+")
                    .contains("fetch-snapshot");

            // the same moment by the event alone: restore-service has the snapshot made, and it is the same one
            java.util.regex.Matcher made = java.util.regex.Pattern.compile(
                            "snapshot (\\S+) of " + CLUSTER + ": revision " + before + ",")
                    .matcher(byTime.out());
            assertThat(made.find()).isTrue();
            try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower plans = stream.follow(Topics.RESTORE_EVENTS)) {
                String asked = stream.publish(
                                "/test",
                                RestoreRequested.pointInTime(CLUSTER, before, null, "local", "test")
                                        .planOnly())
                        .getId();
                RestorePlanned plan = (RestorePlanned) plans.await(
                                e -> e instanceof RestorePlanned p
                                        && p.restoreId().equals(asked),
                                Duration.ofSeconds(120))
                        .orElseThrow(() -> new AssertionError("no plan for restore.requested.v1 with toRevision"));
                assertThat(plan.dryRun()).isTrue();
                assertThat(plan.snapshotId()).isEqualTo(made.group(1));
                assertThat(plan.notes()).anyMatch(n -> n.startsWith("point in time: revision " + before));
            }

            // one prefix first, into the live cluster: only the keys written after the last snapshot
            Guardianctl.Run prefixDry = ctl(
                    "restore",
                    CLUSTER,
                    "--prefix",
                    "/registry/pit/late-",
                    "--to-revision",
                    String.valueOf(before),
                    "--dry-run");
            assertThat(prefixDry.exit()).isZero();
            assertThat(prefixDry.out())
                    .contains("prefix /registry/pit/late- of " + CLUSTER + " as it was at revision " + before)
                    .contains("CREATE /registry/pit/late-0")
                    .contains("50 keys to write");
            assertThat(state(etcd)).as("a dry run writes nothing").isEmpty();
            Guardianctl.Run prefix = ctl(
                    "restore",
                    CLUSTER,
                    "--prefix",
                    "/registry/pit/late-",
                    "--to-revision",
                    String.valueOf(before),
                    "--yes");
            assertThat(prefix.exit()).isZero();
            assertThat(prefix.out()).contains("50 written, 0 skipped");
            Map<String, String> late = new java.util.TreeMap<>(then);
            late.keySet().removeIf(k -> !k.startsWith("/registry/pit/late-"));
            assertThat(state(etcd)).as("the prefix back, nothing else").isEqualTo(late);

            Guardianctl.Run restored =
                    ctl("restore", CLUSTER, "--to-revision", String.valueOf(before), "--yes", "--timeout", "300");
            assertThat(restored.exit()).isZero();
            assertThat(restored.out())
                    .containsPattern("snapshot \\S+ of " + CLUSTER + ": revision " + before + ",")
                    .contains("restore COMPLETED");
            assertThat(state(etcd))
                    .as("every key as it was at revision %d, the writes after the last snapshot included", before)
                    .isEqualTo(then)
                    .hasSize(149);
        } finally {
            services.stop();
            backplane.stop();
        }
    }

    private Guardianctl.Run ctl(String... args) {
        return Guardianctl.inState(state, args);
    }

    private static Map<String, String> state(Client etcd) throws Exception {
        List<KeyValue> kvs = etcd.getKVClient()
                .get(PREFIX, GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs();
        return kvs.stream()
                .collect(Collectors.toMap(
                        kv -> kv.getKey().toString(StandardCharsets.UTF_8),
                        kv -> kv.getValue().toString(StandardCharsets.UTF_8)));
    }

    private static long revision(Client etcd) throws Exception {
        return etcd.getKVClient()
                .get(
                        PREFIX,
                        GetOption.builder().isPrefix(true).withCountOnly(true).build())
                .get(10, TimeUnit.SECONDS)
                .getHeader()
                .getRevision();
    }

    private static void put(Client etcd, String key, String value) throws Exception {
        etcd.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
