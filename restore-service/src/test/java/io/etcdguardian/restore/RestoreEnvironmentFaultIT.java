package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.FaultMatrixScope;
import io.etcdguardian.backplane.KafkaBroker;
import io.etcdguardian.backplane.S3ProxyServer;
import io.etcdguardian.backplane.SmallDisk;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local restore's fault matrix beyond its own process: restore-service is held before a step
 * ({@code restore.<step>.before=pause}) while S3Proxy is stopped, the spool's disk (a 16 MiB tmpfs) is
 * filled, the Kafka broker restarted, a member killed or SIGSTOPped, or the leader moved; then it goes
 * on. A fault it cannot get past ends the restore FAILED in place at its step, with nothing of the
 * cluster touched and the way to resume; the operator's resume then completes it. After each: the
 * checks of {@link RestoreOutcomes#restored}. Its own broker and S3Proxy, since it restarts them.
 */
class RestoreEnvironmentFaultIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);

    @TempDir
    static Path dir;

    static EtcdCluster etcd;
    static KafkaBroker kafka;
    static S3ProxyServer s3;
    static Backplane backplane;
    static Path spool;
    static boolean spoolIsSmallDisk;

    @BeforeAll
    static void start() {
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        kafka = KafkaBroker.plan(dir.resolve("kafka")).start();
        s3 = S3ProxyServer.plan(dir.resolve("s3")).start();
        String bucket = "renv-" + RUN;
        s3.createBucket(bucket);
        backplane = new Backplane(dir, etcd, kafka, s3, bucket);
        spool = dir.resolve("spool");
        spoolIsSmallDisk = SmallDisk.mount(spool, "16m");
    }

    @AfterAll
    static void stop() {
        SmallDisk.unmount(spool);
        s3.stop();
        kafka.stop();
        etcd.stop();
    }

    /** A fault at {@code step}; {@code stops}: the restore cannot go past it and ends FAILED there. */
    private record Fault(String name, String step, boolean stops, Injection inject, Injection heal) {}

    @FunctionalInterface
    private interface Injection {
        void run() throws Exception;
    }

    @Test
    void everyEnvironmentFaultDuringARestoreLosesNothing() throws Exception {
        List<Fault> faults = new ArrayList<>(List.of(
                new Fault("S3Proxy stopped", "fetch-snapshot", true, s3::stop, s3::start),
                // the released service writes at once; the broker takes seconds to come back
                new Fault("Kafka broker restarted", "restore-data", false, kafka::stop, kafka::start),
                new Fault("an etcd member killed", "stop-members", false, () -> etcd.killMember(1), () -> {}),
                // left stopped: stop-members' SIGTERM waits on it, then its SIGKILL ends it
                new Fault(
                        "an etcd member SIGSTOPped",
                        "stop-members",
                        false,
                        () -> etcd.signalMember(2, "STOP"),
                        () -> {}),
                new Fault(
                        "the etcd leader moved",
                        "stop-members",
                        false,
                        () -> etcd.moveLeaderTo((etcd.leaderIndex() + 1) % 3),
                        () -> {})));
        if (spoolIsSmallDisk) {
            faults.add(new Fault(
                    "spool disk full",
                    "fetch-snapshot",
                    true,
                    () -> {
                        SmallDisk.fill(spool, 0);
                        assertThat(Files.getFileStore(spool).getUsableSpace())
                                .as("the spool's disk is full")
                                .isLessThan(64 * 1024);
                    },
                    () -> Files.delete(spool.resolve("filler"))));
        }
        int all = faults.size();
        // in CI: the faults a restore cannot get past, which end it FAILED in place and are resumed
        faults = FaultMatrixScope.cases(faults, Fault::stops);
        List<String> table = new ArrayList<>();
        for (Fault fault : faults) {
            String outcome = run(fault, "renv-" + (table.size() + 1) + "-" + RUN);
            table.add(String.format(
                    "  %-8s %-32s %-26s %-40s survived",
                    "restore", "restore." + fault.step() + ".before", fault.name(), outcome));
        }
        if (!spoolIsSmallDisk) {
            table.add("  restore  spool disk full: not run (no tmpfs mount: needs root)");
        }
        System.out.println("fault matrix (restore-service, local target, environment), "
                + FaultMatrixScope.describe(faults.size(), all) + "\n" + String.join("\n", table)
                + "\n" + faults.size() + " faults injected, " + faults.size() + " survived, 0 lost");
    }

    private String run(Fault fault, String cluster) throws Exception {
        SnapshotManifest snapshot = RestoreOutcomes.snapshotThenWriteAfter(backplane, etcd, dir, cluster);
        Path failpoints = Files.createDirectories(dir.resolve("failpoints-" + cluster));
        String failpoint = "restore." + fault.step() + ".before";
        Path marker = failpoints.resolve(failpoint + ".paused");
        Map<String, String> settings = new HashMap<>(RestoreServiceUnderTest.settings(
                backplane,
                RestoreServiceUnderTest.localFleet(backplane, dir, cluster, etcd),
                dir,
                "restore-" + cluster));
        settings.put("guardian.restore.spool-dir", spool.toString());
        settings.put("guardian.failpoints", failpoint + "=pause");
        settings.put("guardian.failpoints.dir", failpoints.toString());
        Process service = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + ".log"));
        String outcome;
        try (EventStream stream = new EventStream(kafka.bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            RestoreRequested request =
                    new RestoreRequested(cluster, snapshot.snapshotId(), "local", false, false, "environment fault");
            String id = RestoreServiceUnderTest.applyPlan(stream, events, request);
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(marker));
            fault.inject().run();
            Files.delete(marker);
            if (!fault.stops()) {
                fault.heal().run();
            }
            RestoreProgress end = RestoreOutcomes.end(events, id, Duration.ofSeconds(180))
                    .orElseThrow(() -> new AssertionError(fault.name() + ": no end; see target/" + cluster + ".log"));
            if (fault.stops()) {
                assertThat(end.status()).as(end.detail()).isEqualTo(ProgressStatus.FAILED);
                assertThat(end.detail())
                        .as("where it stopped and how to go on")
                        .contains(fault.step())
                        .contains("--resume " + id);
                try (Client client = RestoreOutcomes.client(etcd)) {
                    assertThat(RestoreOutcomes.value(client, RestoreOutcomes.AFTER_THE_SNAPSHOT))
                            .as("nothing of the cluster touched")
                            .isEqualTo(cluster);
                }
                fault.heal().run();
                stream.publish("/test", new RestoreRequested(cluster, null, null, false, false, "operator", id));
                end = RestoreOutcomes.end(events, id, Duration.ofSeconds(180))
                        .orElseThrow(() -> new AssertionError(
                                fault.name() + ": the resume never ended; see target/" + cluster + ".log"));
                outcome = "FAILED in place, resumed: " + end.status();
            } else {
                outcome = end.status().name();
            }
            assertThat(end.status()).as(fault.name() + ": " + end.detail()).isEqualTo(ProgressStatus.COMPLETED);
            assertThat(RestoreOutcomes.endsBeforeSentinel(stream, events, request, id))
                    .as("one final event")
                    .isEmpty();
        } finally {
            Files.deleteIfExists(marker);
            service.destroy();
            service.waitFor(20, TimeUnit.SECONDS);
        }
        RestoreOutcomes.restored(etcd, snapshot, cluster, backplane, spool);
        return outcome;
    }
}
