package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.FaultMatrixScope;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
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
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix of the snapshot operation (its capture, commit, publication, the drill right after
 * it, and retention): snapshot-service is ended as SIGKILL would end it ({@code Runtime.halt}, no
 * shutdown hook) at each named step ({@code -Dguardian.failpoints}), started again unarmed, and the
 * invariants are checked: the request's work done once with one final event; every committed snapshot
 * restores to its manifest's revision (its trailer, SHA-256 and {@code etcdutl snapshot status}); the
 * newest restorable snapshot still there; no multipart upload, manifest-less object, spool file,
 * scratch directory or scratch etcd left behind.
 */
@ExtendWith(BackplaneExtension.class)
class SnapshotFaultMatrixIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String CLUSTER = "matrix-" + RUN;
    private static final String BUCKET = "matrix-" + RUN;
    /** In the order a snapshot passes them; retention last, when there is something to delete. */
    private static final List<String> ALL_STEPS = List.of(
            "snapshot.started",
            "snapshot.captured",
            "snapshot.uploaded",
            "snapshot.committed",
            "snapshot.published",
            "drill.restored",
            "retention.uncommitted");
    /** In CI: the steps whose kills found a leftover (spool file, scratch etcd) or leave a half-made object. */
    private static final List<String> STEPS = FaultMatrixScope.cases(
            ALL_STEPS,
            s -> List.of("snapshot.captured", "snapshot.uploaded", "drill.restored", "retention.uncommitted")
                    .contains(s));

    @TempDir
    static Path dir;

    static Backplane backplane;
    static EtcdCluster etcd;
    static Path fleet;
    static EventStream stream;
    static SnapshotInvariants invariants;

    @BeforeAll
    static void start(Backplane shared) throws Exception {
        backplane = shared;
        shared.s3().createBucket(BUCKET);
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 1, 0).start();
        for (int i = 0; i < 200; i++) {
            etcd.etcdctl("put", "/matrix/" + i, "value-" + i);
        }
        fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                    retention: { keepLast: 1 }
                """.formatted(
                        CLUSTER,
                        etcd.endpoints().get(0),
                        BUCKET,
                        shared.s3().endpoint(),
                        SnapshotRequests.credentials(shared, dir)));
        stream = new EventStream(shared.kafka().bootstrapServers());
        invariants = new SnapshotInvariants(shared.s3(), BUCKET, CLUSTER, dir.resolve("spool"), dir.resolve("check"));
    }

    @AfterAll
    static void stop() {
        stream.close();
        etcd.stop();
    }

    @Test
    void killedAtEveryStepTheSnapshotOperationLosesNothing() throws Exception {
        List<String> table = new ArrayList<>();
        int survived = 0;
        for (String step : STEPS) {
            etcd.etcdctl("put", "/matrix/step", step); // each snapshot has something new
            String newestRestorable = invariants.newestRestorable();
            String request;
            ChildProcess armed = service(step, step); // it creates the topics the first time
            try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
                request = stream.publish(
                                "/test",
                                new BackupRequested(
                                        CLUSTER, Trigger.ON_DEMAND, "matrix " + step, "test", null, Instant.now()))
                        .getId();
                await().atMost(Duration.ofSeconds(120)).until(() -> !armed.isAlive());
                assertThat(Files.readString(armed.logFile()))
                        .as("ended at its failpoint")
                        .contains("failpoint " + step + " armed");

                ChildProcess unarmed = service(step + "-again", null);
                try {
                    List<GuardianEvent> outcomes = new ArrayList<>();
                    outcomes.add(events.await(e -> isOutcomeOf(e, request), Duration.ofSeconds(120))
                            .orElseThrow(() -> new AssertionError("no outcome of the request killed at " + step)));
                    // every invariant, given the restarted service the time its cleanups need
                    await().atMost(Duration.ofSeconds(90))
                            .pollInterval(Duration.ofSeconds(1))
                            .untilAsserted(() -> invariants.hold(request, true, newestRestorable));
                    for (var more = events.await(e -> isOutcomeOf(e, request), Duration.ofSeconds(2));
                            more.isPresent();
                            more = events.await(e -> isOutcomeOf(e, request), Duration.ofSeconds(2))) {
                        outcomes.add(more.get());
                    }
                    assertThat(outcomes)
                            .as("one final event: completed, the same id if published again")
                            .allMatch(e -> e instanceof SnapshotCompleted)
                            .extracting(e -> ((SnapshotCompleted) e).snapshotId())
                            .containsOnly(((SnapshotCompleted) outcomes.get(0)).snapshotId());
                    survived++;
                    table.add(String.format("  %-10s %-24s %-8s %s", "snapshot", step, "SIGKILL", "survived"));
                } finally {
                    unarmed.stop(Duration.ofSeconds(10));
                }
            }
        }
        System.out.println("fault matrix (snapshot-service), "
                + FaultMatrixScope.describe(STEPS.size(), ALL_STEPS.size())
                + "\n  operation  step                     fault    result\n"
                + String.join("\n", table) + "\n" + STEPS.size() + " faults injected, " + survived + " survived, "
                + (STEPS.size() - survived) + " lost");
        assertThat(survived).isEqualTo(STEPS.size());
    }

    private static boolean isOutcomeOf(GuardianEvent e, String request) {
        return (e instanceof SnapshotCompleted c && c.requestId().equals(request))
                || (e instanceof SnapshotFailed f && f.requestId().equals(request));
    }

    /** snapshot-service as its own JVM; {@code failpoint} null: unarmed. */
    private static ChildProcess service(String name, String failpoint) {
        List<String> settings = new ArrayList<>(List.of(
                "-Dguardian.snapshot.attempts=1",
                "-Dguardian.snapshot.orphan-age=1s",
                "-Dguardian.operation.lease-ttl=5s",
                // the drill scheduler picks up a snapshot whose drill a kill cut short
                "-Dguardian.snapshot.drill-interval=2s",
                "-Dguardian.snapshot.drill-initial-delay=1s",
                // and retention's sweep the object a kill between its two deletions left
                "-Dguardian.snapshot.retention-interval=3s",
                "-Dguardian.snapshot.retention-initial-delay=2s"));
        if (failpoint != null) {
            settings.add("-Dguardian.failpoints=" + failpoint);
        }
        return ForkedSnapshotService.start(
                "snapshot-service-" + name,
                Path.of("target", "matrix-" + RUN),
                dir,
                backplane,
                fleet,
                "matrix-" + RUN,
                dir.resolve("spool"),
                settings);
    }
}
