package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-member etcd: back up, write and delete keys, restore through Kafka; the cluster holds
 * exactly the snapshot's keys at its revision and takes writes. A dry run touches nothing. A
 * restore-service killed (SIGKILL) in the middle is replaced and the restore resumes at its step.
 */
@ExtendWith(BackplaneExtension.class)
class LocalRestoreIT {
    @TempDir
    Path dir;

    @Test
    void restoresExactlyTheSnapshotAndTakesWritesAfterADryRunThatTouchedNothing(Backplane backplane) throws Exception {
        String cluster = "local-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        try (Client client = client(etcd)) {
            for (int i = 0; i < 50; i++) {
                put(client, "/registry/a/" + i, "before-" + i);
            }
            SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
            // what happens after the backup: new keys, deleted keys, changed keys
            for (int i = 0; i < 20; i++) {
                put(client, "/registry/b/" + i, "after");
            }
            client.getKVClient().delete(bytes("/registry/a/1")).get();
            put(client, "/registry/a/2", "changed");

            Map<String, String> settings = new java.util.HashMap<>(RestoreServiceUnderTest.settings(
                    backplane,
                    RestoreServiceUnderTest.localFleet(backplane, dir, cluster, etcd),
                    dir,
                    "restore-" + cluster));
            // the pre-restore backup is the first step; no snapshot-service here, so it is skipped with the reason
            settings.put("guardian.restore.backup-first", "true");
            settings.put("guardian.restore.backup-first-timeout", "2s");
            try (ApplicationContext service = RestoreServiceUnderTest.start(settings);
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
                String dry = stream.publish("/test", new RestoreRequested(cluster, null, null, true, false, "test"))
                        .getId();
                RestorePlanned plan = (RestorePlanned) events.await(
                                e -> e instanceof RestorePlanned p
                                        && p.restoreId().equals(dry),
                                Duration.ofSeconds(60))
                        .orElseThrow();
                assertThat(plan.dryRun()).isTrue();
                assertThat(plan.snapshotId()).isEqualTo(snapshot.snapshotId());
                assertThat(plan.steps())
                        .extracting(RestorePlanned.Step::name)
                        .containsExactly(
                                "pre-restore-backup",
                                "fetch-snapshot",
                                "stop-members",
                                "restore-data",
                                "start-members",
                                "verify",
                                "cleanup");
                assertThat(String.join("\n", plan.steps().get(3).touches()))
                        .contains(
                                "snapshot restore",
                                "--initial-cluster " + etcd.initialCluster(),
                                "--initial-cluster-token restore-",
                                etcd.members().get(0).dataDir().toString());
                assertThat(get(client, "/registry/b/0"))
                        .as("a dry run touches nothing")
                        .isEqualTo("after");

                String id = stream.publish(
                                "/test",
                                new RestoreRequested(cluster, null, null, false, false, "test")
                                        .applying(plan.planDigest()))
                        .getId();
                List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
                assertThat(steps)
                        .filteredOn(p -> p.status() == ProgressStatus.DONE)
                        .extracting(RestoreProgress::step)
                        .containsExactly(
                                "pre-restore-backup",
                                "fetch-snapshot",
                                "stop-members",
                                "restore-data",
                                "start-members",
                                "verify",
                                "cleanup");
                assertThat(steps)
                        .filteredOn(p -> p.step().equals("pre-restore-backup") && p.status() == ProgressStatus.DONE)
                        .singleElement()
                        .extracting(RestoreProgress::detail)
                        .asString()
                        .contains("skipped: TIMEOUT", "no snapshot within PT2S");
            }
            assertRestored(etcd, snapshot);
        } finally {
            etcd.stop();
        }
    }

    @Test
    void aRestoreServiceKilledMidRestoreIsReplacedAndTheRestoreResumes(Backplane backplane) throws Exception {
        String cluster = "crash-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        try (Client client = client(etcd)) {
            for (int i = 0; i < 30; i++) {
                put(client, "/registry/a/" + i, "v" + i);
            }
            SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
            put(client, "/registry/after", "x");
            Map<String, String> settings = RestoreServiceUnderTest.settings(
                    backplane,
                    RestoreServiceUnderTest.localFleet(backplane, dir, cluster, etcd),
                    dir,
                    "restore-" + cluster);
            try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
                Process first = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + "-first.log"));
                Process second = null;
                try {
                    String id = RestoreServiceUnderTest.applyPlan(
                            stream,
                            events,
                            new RestoreRequested(cluster, snapshot.snapshotId(), "local", false, false, "test"));
                    // kill it while it starts the restored members: data replaced, cluster not yet up
                    events.await(
                                    e -> e instanceof RestoreProgress p
                                            && p.restoreId().equals(id)
                                            && p.step().equals("start-members")
                                            && p.status() == ProgressStatus.STARTED,
                                    Duration.ofSeconds(90))
                            .orElseThrow(() -> new AssertionError(
                                    "never reached start-members; see " + Path.of("target", cluster + "-first.log")));
                    first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

                    second = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + "-second.log"));
                    List<RestoreProgress> steps = until(events, id, ProgressStatus.COMPLETED);
                    // the follower kept the first process's events too: the whole story, in order
                    List<String> story =
                            steps.stream().map(p -> p.step() + ":" + p.status()).toList();
                    assertThat(story)
                            .containsSubsequence(
                                    "restore-data:DONE",
                                    "fetch-snapshot:SKIPPED",
                                    "stop-members:SKIPPED",
                                    "restore-data:SKIPPED",
                                    "start-members:DONE",
                                    "verify:DONE",
                                    "cleanup:DONE",
                                    "restore:COMPLETED");
                    assertThat(story).as("data replaced once").containsOnlyOnce("restore-data:DONE");
                } finally {
                    first.destroyForcibly();
                    if (second != null) {
                        second.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
            }
            assertRestored(etcd, snapshot);
        } finally {
            etcd.stop();
        }
    }

    /** Exactly the snapshot's keys at its revision, three healthy members, and writes accepted. */
    private static void assertRestored(EtcdCluster etcd, SnapshotManifest snapshot) throws Exception {
        try (Client client = client(etcd)) {
            ByteSequence all = ByteSequence.from(new byte[] {0});
            GetResponse everything = client.getKVClient()
                    .get(all, GetOption.builder().withRange(all).build())
                    .get();
            assertThat(everything.getHeader().getRevision()).isEqualTo(snapshot.revision());
            assertThat(everything.getCount()).isEqualTo(snapshot.liveKeys());
            assertThat(everything.getKvs())
                    .extracting(kv -> kv.getKey().toString(StandardCharsets.UTF_8))
                    .allMatch(k -> k.startsWith("/registry/a/"));
            assertThat(get(client, "/registry/a/1")).isEqualTo(snapshot.liveKeys() == 50 ? "before-1" : "v1");
            put(client, "/after-restore", "writes accepted");
            assertThat(get(client, "/after-restore")).isEqualTo("writes accepted");
        }
        assertThat(etcd.etcdctl("endpoint", "health")).contains("is healthy").doesNotContain("unhealthy");
        assertThat(etcd.etcdctl("member", "list")).contains("etcd-0", "etcd-1", "etcd-2");
    }

    @Test
    void refusesAWrongTargetAPausedClusterAndARestoreDuringADefragWithNothingTouched(Backplane backplane)
            throws Exception {
        String cluster = "guards-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        try (Client client = client(etcd)) {
            put(client, "/registry/a", "before");
            SnapshotManifest snapshot = CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
            put(client, "/registry/a", "after");
            Path fleet = RestoreServiceUnderTest.localFleet(backplane, dir, cluster, etcd);
            Path paused = Files.writeString(
                    dir.resolve("paused-fleet.yaml"),
                    Files.readString(fleet)
                            .replace("kubernetes: { kind: local }", "kubernetes: { kind: local }\n    paused: true"));
            try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
                try (ApplicationContext service = RestoreServiceUnderTest.start(
                        RestoreServiceUnderTest.settings(backplane, fleet, dir, "restore-" + cluster))) {
                    // another procedure than the cluster's kind: refused, and no override changes that
                    String wrong = stream.publish(
                                    "/test",
                                    new RestoreRequested(
                                            cluster,
                                            snapshot.snapshotId(),
                                            "openshift",
                                            false,
                                            false,
                                            "test",
                                            null,
                                            "sha256:000000000000000000000000",
                                            List.copyOf(RestoreRequested.OVERRIDES),
                                            null))
                            .getId();
                    assertThat(until(events, wrong, ProgressStatus.REFUSED))
                            .last()
                            .extracting(RestoreProgress::detail)
                            .asString()
                            .contains("does not match", "kubernetes.kind is 'local'", "no override");

                    // apply the plan you saw: no digest, no restore
                    String blind = stream.publish(
                                    "/test", new RestoreRequested(cluster, null, null, false, false, "test"))
                            .getId();
                    assertThat(until(events, blind, ProgressStatus.REFUSED))
                            .last()
                            .extracting(RestoreProgress::detail)
                            .asString()
                            .contains("applies the plan it was shown", "planDigest");
                    String forced = stream.publish(
                                    "/test",
                                    new RestoreRequested(cluster, snapshot.snapshotId(), null, false, true, "test"))
                            .getId();
                    assertThat(until(events, forced, ProgressStatus.REFUSED))
                            .last()
                            .extracting(RestoreProgress::detail)
                            .asString()
                            .contains("'force' is no longer accepted", "accept-version-mismatch");
                    // a plan shown, then a newer restorable snapshot: the old approval does not carry over to it
                    String shown = stream.publish(
                                    "/test", new RestoreRequested(cluster, null, null, true, false, "test"))
                            .getId();
                    RestorePlanned plan = (RestorePlanned) events.await(
                                    e -> e instanceof RestorePlanned p
                                            && p.restoreId().equals(shown),
                                    Duration.ofSeconds(60))
                            .orElseThrow();
                    assertThat(plan.snapshotId()).isEqualTo(snapshot.snapshotId());
                    CommittedSnapshots.commit(backplane, "", cluster, etcd, dir, null);
                    String stale = stream.publish(
                                    "/test",
                                    new RestoreRequested(cluster, null, null, false, false, "test")
                                            .applying(plan.planDigest()))
                            .getId();
                    assertThat(until(events, stale, ProgressStatus.REFUSED))
                            .last()
                            .extracting(RestoreProgress::detail)
                            .asString()
                            .contains("the plan changed since it was shown", plan.planDigest());

                    // a defragmentation of the cluster holds its lease (on another replica, say)
                    var leases = service.getBean(io.etcdguardian.common.operation.OperationLeases.class);
                    var spec = service.getBean(io.etcdguardian.common.fleet.FleetRegistry.class)
                            .require(cluster);
                    try (var defrag = leases.acquire(
                            spec, io.etcdguardian.common.operation.OperationKind.DEFRAG, "defrag-op-1", null)) {
                        String busy = RestoreServiceUnderTest.applyPlan(
                                stream,
                                events,
                                new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test"));
                        assertThat(until(events, busy, ProgressStatus.REFUSED))
                                .last()
                                .extracting(RestoreProgress::detail)
                                .asString()
                                .contains("refused before anything was touched", "defrag defrag-op-1 is running");
                    }

                    // the snapshot's tools two minors behind the etcd that would start the data: 3.6 panics on it
                    if (EtcdBinaries.minor(EtcdBinaries.versionIn(etcd.tools())).equals("3.6")
                            && Files.isExecutable(Path.of("/usr/bin/etcd"))) {
                        System.setProperty("guardian.etcd.bin-dirs", "3.6=/usr/bin");
                        try {
                            String skew = stream.publish(
                                            "/test",
                                            new RestoreRequested(
                                                    cluster, snapshot.snapshotId(), null, true, false, "test"))
                                    .getId();
                            assertThat(until(events, skew, ProgressStatus.REFUSED))
                                    .last()
                                    .extracting(RestoreProgress::detail)
                                    .asString()
                                    .contains("VERSION_MISMATCH", "runs etcd 3.6", "etcd 3.4");
                        } finally {
                            System.clearProperty("guardian.etcd.bin-dirs");
                        }
                    }
                }
                try (ApplicationContext service = RestoreServiceUnderTest.start(
                        RestoreServiceUnderTest.settings(backplane, paused, dir, "restore-paused-" + cluster))) {
                    String id = stream.publish(
                                    "/test",
                                    new RestoreRequested(cluster, snapshot.snapshotId(), null, false, false, "test"))
                            .getId();
                    assertThat(until(events, id, ProgressStatus.REFUSED))
                            .last()
                            .extracting(RestoreProgress::detail)
                            .asString()
                            .contains("PAUSED", "refused before anything was touched");
                }
            }
            assertThat(get(client, "/registry/a")).as("nothing was restored").isEqualTo("after");
            assertThat(etcd.isMemberAlive(0) && etcd.isMemberAlive(1) && etcd.isMemberAlive(2))
                    .isTrue();
        } finally {
            etcd.stop();
        }
    }

    private static List<RestoreProgress> until(EventStream.Follower events, String restoreId, ProgressStatus status) {
        List<RestoreProgress> steps = new ArrayList<>();
        while (true) {
            GuardianEvent event = events.await(
                            e -> e instanceof RestoreProgress p && p.restoreId().equals(restoreId),
                            Duration.ofSeconds(120))
                    .orElseThrow(() -> new AssertionError("stalled after " + steps));
            RestoreProgress p = (RestoreProgress) event;
            steps.add(p);
            if (p.step().equals("restore")) {
                assertThat(p.status()).as(p.detail()).isEqualTo(status);
                return steps;
            }
        }
    }

    private static Client client(EtcdCluster etcd) {
        return Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build();
    }

    private static void put(Client client, String key, String value) throws Exception {
        client.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static String get(Client client, String key) throws Exception {
        GetResponse r = client.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS);
        return r.getKvs().isEmpty() ? null : r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
