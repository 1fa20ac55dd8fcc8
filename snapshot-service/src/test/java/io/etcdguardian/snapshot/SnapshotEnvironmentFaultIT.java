package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.FaultMatrixScope;
import io.etcdguardian.backplane.KafkaBroker;
import io.etcdguardian.backplane.S3ProxyServer;
import io.etcdguardian.backplane.SmallDisk;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix of the snapshot, drill and retention operations beyond their own process: while
 * snapshot-service is held at a named step ({@code <step>=pause}), S3Proxy is stopped, the Kafka
 * broker restarted, the member it captures from killed or stalled (SIGSTOP past the capture
 * deadline), the leader moved, or the spool's disk (a 160 MiB tmpfs: room for a drill's scratch
 * member and its two 64 MB WAL segments) filled; then it goes on, the fault is healed, and the invariants of
 * {@link SnapshotInvariants} are checked plus: one final event for the request, the cluster healthy
 * and writable, a drill cut short by the world passed later (never recorded as failed), and the next
 * request completing. Its own broker and S3Proxy, since it restarts them. The drill and retention
 * rows have no etcd faults: they touch only the store and a scratch etcd of their own.
 */
class SnapshotEnvironmentFaultIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String CLUSTER = "envfault-" + RUN;
    private static final String BUCKET = "envfault-" + RUN;
    private static final Duration CAPTURE_DEADLINE = Duration.ofSeconds(4);

    @TempDir
    static Path dir;

    static EtcdCluster etcd;
    static S3ProxyServer s3;
    static KafkaBroker kafka;
    static Backplane backplane;
    static Path spool;
    static boolean spoolIsSmallDisk;
    static Path fleet;
    static EventStream stream;
    static SnapshotInvariants invariants;

    @BeforeAll
    static void start() throws Exception {
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        try (Client client = Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build()) {
            byte[] value = new byte[64 * 1024];
            Random random = new Random(5);
            for (int i = 0; i < 48; i++) { // ≈3 MiB: more than the filled spool disk has left
                random.nextBytes(value);
                client.getKVClient()
                        .put(ByteSequence.from(("/env/" + i).getBytes()), ByteSequence.from(value))
                        .get();
            }
        }
        s3 = S3ProxyServer.plan(dir.resolve("s3")).start();
        s3.createBucket(BUCKET);
        kafka = KafkaBroker.plan(dir.resolve("kafka")).start();
        backplane = new Backplane(dir, etcd, kafka, s3, BUCKET);
        spool = dir.resolve("spool");
        spoolIsSmallDisk = SmallDisk.mount(spool, "160m");
        fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                    retention: { keepLast: 2 }
                """.formatted(
                        CLUSTER,
                        String.join(", ", etcd.endpoints()),
                        BUCKET,
                        s3.endpoint(),
                        SnapshotRequests.credentials(backplane, dir)));
        stream = new EventStream(kafka.bootstrapServers());
        invariants = new SnapshotInvariants(s3, BUCKET, CLUSTER, spool, dir.resolve("check"));
    }

    @AfterAll
    static void stop() {
        if (stream != null) {
            stream.close();
        }
        SmallDisk.unmount(spool);
        kafka.stop();
        s3.stop();
        etcd.stop();
    }

    /**
     * A fault: where the service is held, what is done to the world there, and how and when it is
     * healed: at once (the work can only go on once it is back), once the service's log says the
     * fault was met ({@code healWhenLogged}), or else once the request's outcome is out.
     */
    private record Fault(
            String operation,
            String name,
            String step,
            Injection inject,
            Injection heal,
            boolean healAtOnce,
            BiPredicate<Held, String> healWhenLogged) {
        Fault(String name, String step, Injection inject, Injection heal) {
            this("snapshot", name, step, inject, heal, name.startsWith("Kafka"), null);
        }
    }

    @FunctionalInterface
    private interface Injection {
        void at(Held held) throws Exception;
    }

    /** The service held at its step: its process, the member the snapshot is taken from, the snapshot's id. */
    private record Held(ChildProcess service, int member, String snapshot) {}

    /** In CI: the faults that found a lost case, and the stall past the deadline. */
    private static final java.util.Set<String> REDUCED = java.util.Set.of(
            "snapshot: S3Proxy stopped, restarted",
            "snapshot: spool disk full",
            "snapshot: etcd member stalled past the deadline (SIGSTOP)",
            "drill: spool disk full",
            "retention: S3Proxy stopped, restarted");

    @Test
    void everyEnvironmentFaultDuringASnapshotLosesNothing() throws Exception {
        List<Fault> faults = new ArrayList<>(List.of(
                new Fault("S3Proxy stopped, restarted", "snapshot.captured", held -> s3.stop(), held -> s3.start()),
                new Fault(
                        "Kafka broker restarted",
                        "snapshot.committed",
                        // the released service writes at once; the broker takes seconds to come back
                        held -> kafka.stop(),
                        held -> kafka.start()),
                new Fault("etcd member killed", "snapshot.started", held -> etcd.killMember(held.member()), held -> {
                    etcd.startMember(held.member());
                    etcd.awaitHealthy(held.member());
                }),
                new Fault(
                        "etcd leader moved",
                        "snapshot.started",
                        held -> etcd.moveLeaderTo((etcd.leaderIndex() + 1) % 3),
                        held -> {}),
                new Fault(
                        "etcd member stalled past the deadline (SIGSTOP)",
                        "snapshot.started",
                        held -> etcd.signalMember(held.member(), "STOP"),
                        held -> etcd.signalMember(held.member(), "CONT"))));
        if (spoolIsSmallDisk) {
            faults.add(new Fault(
                    "spool disk full",
                    "snapshot.started",
                    held -> SmallDisk.fill(spool, 64 * 1024), // the headroom check passed, the capture runs into ENOSPC
                    held -> Files.delete(spool.resolve("filler"))));
        }
        faults.addAll(drillAndRetentionFaults());
        List<Fault> run = FaultMatrixScope.cases(faults, f -> REDUCED.contains(f.operation() + ": " + f.name()));
        List<String> table = new ArrayList<>();
        int survived = 0;
        for (Fault fault : run) {
            run(fault);
            survived++;
            table.add(
                    String.format("  %-10s %-22s %-50s %s", fault.operation(), fault.step(), fault.name(), "survived"));
        }
        if (!spoolIsSmallDisk) {
            table.add("  snapshot   spool disk full: not run (no tmpfs mount: needs root)");
        }
        System.out.println(
                "fault matrix (snapshot-service, environment), " + FaultMatrixScope.describe(run.size(), faults.size())
                        + "\n  operation  step                   fault" + " ".repeat(46) + "result\n"
                        + String.join("\n", table) + "\n" + run.size() + " faults injected, " + survived + " survived, "
                        + (run.size() - survived) + " lost");
    }

    private List<Fault> drillAndRetentionFaults() {
        // by the drill after capture or the scheduled one, whichever took the snapshot first; it runs again later
        BiPredicate<Held, String> drillDidNotRun =
                (held, log) -> log.contains("drill of " + held.snapshot() + " right after its capture did not run")
                        || log.contains("drill of " + held.snapshot() + " FAILED");
        BiPredicate<Held, String> retentionStopped = (held, log) -> log.contains("retention of " + CLUSTER + " FAILED")
                || log.contains("retention of " + CLUSTER + " did not run");
        List<Fault> more = new ArrayList<>(List.of(
                new Fault(
                        "drill",
                        "S3Proxy stopped, restarted",
                        "drill.restored",
                        held -> s3.stop(),
                        held -> s3.start(),
                        false,
                        drillDidNotRun),
                new Fault(
                        "drill",
                        "Kafka broker restarted",
                        "drill.restored",
                        held -> kafka.stop(),
                        held -> kafka.start(),
                        true,
                        null),
                new Fault(
                        "retention",
                        "S3Proxy stopped, restarted",
                        "retention.uncommitted",
                        held -> s3.stop(),
                        held -> s3.start(),
                        false,
                        retentionStopped),
                new Fault(
                        "retention",
                        "Kafka broker restarted",
                        "retention.uncommitted",
                        held -> kafka.stop(),
                        held -> kafka.start(),
                        true,
                        null)));
        if (spoolIsSmallDisk) {
            more.add(
                    1,
                    new Fault(
                            "drill",
                            "spool disk full",
                            "drill.started",
                            held -> SmallDisk.fill(spool, 64 * 1024),
                            held -> Files.delete(spool.resolve("filler")),
                            false,
                            drillDidNotRun));
        }
        return more;
    }

    private void run(Fault fault) throws Exception {
        etcd.etcdctl("put", "/env/fault", fault.name());
        String newestRestorable = invariants.newestRestorable();
        Path failpoints = Files.createDirectories(dir.resolve("failpoints"));
        Path marker = failpoints.resolve(fault.step() + ".paused");
        ChildProcess service = service(
                fault,
                List.of("-Dguardian.failpoints=" + fault.step() + "=pause", "-Dguardian.failpoints.dir=" + failpoints));
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String request = stream.publish(
                            "/test",
                            new BackupRequested(CLUSTER, Trigger.ON_DEMAND, fault.name(), "test", null, Instant.now()))
                    .getId();
            SnapshotStarted started = (SnapshotStarted) events.await(
                            e -> e instanceof SnapshotStarted s && s.requestId().equals(request),
                            Duration.ofSeconds(60))
                    .orElseThrow();
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(marker));
            Held held = new Held(service, etcd.endpoints().indexOf(started.member()), started.snapshotId());

            fault.inject().at(held);
            Files.delete(marker);
            GuardianEvent outcome;
            if (fault.healAtOnce()) {
                fault.heal().at(held); // the work can only go on once it is back
                outcome = outcome(events, request);
            } else if (fault.healWhenLogged() != null) {
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> fault.healWhenLogged().test(held, Files.readString(service.logFile())));
                fault.heal().at(held);
                outcome = outcome(events, request);
            } else {
                outcome = outcome(events, request);
                fault.heal().at(held);
            }
            assertThat(outcome)
                    .as(fault.name() + ": " + outcome)
                    .isInstanceOfAny(SnapshotCompleted.class, SnapshotFailed.class);
            if (outcome instanceof SnapshotFailed failed) {
                assertThat(fault.operation())
                        .as("a drill or retention fault fails no snapshot: " + failed)
                        .isEqualTo("snapshot");
                assertThat(failed.retriable())
                        .as("a fault of the world is retriable: " + failed)
                        .isTrue();
                assertThat(failed.detail()).as("the reason").isNotBlank();
            }
            if (fault.operation().equals("drill")) {
                String snapshot = ((SnapshotCompleted) outcome).snapshotId();
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofSeconds(1))
                        .untilAsserted(() -> assertThat(invariants.drillOf(snapshot))
                                .as("the drill of " + snapshot + ", run again once "
                                        + "the world is back: a fault of the world is no failed drill")
                                .isEqualTo("PASSED"));
            }
            boolean committed = outcome instanceof SnapshotCompleted;
            assertThat(etcd.etcdctl("endpoint", "health")).as("healthy").doesNotContain("unhealthy");
            etcd.etcdctl("put", "/env/writable", fault.name());
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> invariants.hold(request, committed, newestRestorable));
            for (var more = events.await(e -> isOutcomeOf(e, request), Duration.ofSeconds(2));
                    more.isPresent();
                    more = events.await(e -> isOutcomeOf(e, request), Duration.ofSeconds(2))) {
                assertThat(more.get())
                        .as("one final event: the same one if published again")
                        .usingRecursiveComparison()
                        .isEqualTo(outcome);
            }
            String next = stream.publish(
                            "/test",
                            new BackupRequested(
                                    CLUSTER, Trigger.ON_DEMAND, "after " + fault.name(), "test", null, Instant.now()))
                    .getId();
            assertThat(outcome(events, next))
                    .as("the next request after " + fault.name())
                    .isInstanceOf(SnapshotCompleted.class);
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> invariants.hold(next, true, newestRestorable));
        } finally {
            Files.deleteIfExists(marker);
            service.stop(Duration.ofSeconds(10));
        }
    }

    private static GuardianEvent outcome(EventStream.Follower events, String request) {
        return events.await(e -> isOutcomeOf(e, request), Duration.ofSeconds(120))
                .orElseThrow(() -> new AssertionError("no outcome of request " + request));
    }

    private static boolean isOutcomeOf(GuardianEvent e, String request) {
        return (e instanceof SnapshotCompleted c && c.requestId().equals(request))
                || (e instanceof SnapshotFailed f && f.requestId().equals(request));
    }

    private static ChildProcess service(Fault fault, List<String> failpoint) {
        List<String> settings = new ArrayList<>(List.of(
                "-Dguardian.snapshot.attempts=3",
                "-Dguardian.snapshot.retry-backoff=1s",
                "-Dguardian.snapshot.part-attempts=2",
                "-Dguardian.snapshot.base-timeout=" + CAPTURE_DEADLINE.toSeconds() + "s",
                "-Dguardian.snapshot.orphan-age=1h", // the failed aborts are retried, not left to the age-based sweep
                "-Dguardian.snapshot.abort-retry-interval=1s",
                "-Dguardian.operation.lease-ttl=5s",
                "-Dguardian.snapshot.drill-interval=2s",
                "-Dguardian.snapshot.drill-initial-delay=1s",
                // the scheduled run finishes a deletion a fault cut short
                "-Dguardian.snapshot.retention-interval=3s",
                "-Dguardian.snapshot.retention-initial-delay=2s"));
        settings.addAll(failpoint);
        String name = (fault.operation() + " " + fault.name()).replaceAll("[^a-zA-Z0-9]+", "-");
        return ForkedSnapshotService.start(
                "snapshot-service-" + name,
                Path.of("target", "envfault-" + RUN),
                dir,
                backplane,
                fleet,
                "envfault-" + RUN,
                spool,
                settings);
    }
}
