package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.FaultMatrixScope;
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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore's fault matrix on the local target: restore-service is ended as SIGKILL would end it
 * ({@code Runtime.halt}) after each step's work and before the journal says it is done — the point
 * where a resume runs the step again —, and in the middle of the two per-member steps (one member's
 * data replaced, one member started). A new process takes the redelivered request and resumes. After
 * each: the restore COMPLETED once, the cluster at exactly the snapshot's revision and keys, three
 * members (no second process of one), healthy and writable, no spool copy and no staged copy left
 * ({@link RestoreOutcomes#restored}).
 */
@ExtendWith(BackplaneExtension.class)
class RestoreFaultMatrixIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final List<String> ALL = List.of(
            "restore.fetch-snapshot",
            "restore.stop-members",
            "restore.restore-data.member",
            "restore.restore-data",
            "restore.start-members.member",
            "restore.start-members",
            "restore.verify",
            "restore.cleanup");
    /** In CI: the kills in the middle of the destructive per-member steps, and the last one. */
    private static final List<String> FAILPOINTS = FaultMatrixScope.cases(
            ALL,
            f -> List.of("restore.restore-data.member", "restore.start-members.member", "restore.cleanup")
                    .contains(f));

    @TempDir
    static Path dir;

    static Backplane backplane;
    static EtcdCluster etcd;

    @BeforeAll
    static void start(Backplane shared) {
        backplane = shared;
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
    }

    @AfterAll
    static void stop() {
        etcd.stop();
    }

    @Test
    void killedAtEveryStepTheRestoreResumesAndEndsOnce() throws Exception {
        List<String> table = new ArrayList<>();
        int survived = 0;
        for (String failpoint : FAILPOINTS) {
            killedAt(failpoint, "rmatrix-" + (table.size() + 1) + "-" + RUN);
            survived++;
            table.add(String.format("  %-8s %-30s %-8s %s", "restore", failpoint, "SIGKILL", "survived"));
        }
        System.out.println("fault matrix (restore-service, local target), "
                + FaultMatrixScope.describe(FAILPOINTS.size(), ALL.size()) + "\n  operation step (failpoint)"
                + "             fault    result\n" + String.join("\n", table) + "\n" + FAILPOINTS.size()
                + " faults injected, " + survived + " survived, " + (FAILPOINTS.size() - survived) + " lost");
    }

    private void killedAt(String failpoint, String cluster) throws Exception {
        SnapshotManifest snapshot = RestoreOutcomes.snapshotThenWriteAfter(backplane, etcd, dir, cluster);
        Path fleet = RestoreServiceUnderTest.localFleet(backplane, dir, cluster, etcd);
        Map<String, String> settings =
                new HashMap<>(RestoreServiceUnderTest.settings(backplane, fleet, dir, "restore-" + cluster));
        Map<String, String> armed = new HashMap<>(settings);
        armed.put("guardian.failpoints", failpoint);
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
            Process first = RestoreServiceUnderTest.fork(armed, Path.of("target", cluster + "-armed.log"));
            Process second = null;
            try {
                RestoreRequested request =
                        new RestoreRequested(cluster, snapshot.snapshotId(), "local", false, false, "fault matrix");
                String id = RestoreServiceUnderTest.applyPlan(stream, events, request);
                assertThat(first.waitFor(120, TimeUnit.SECONDS))
                        .as("ended at " + failpoint + "; see target/" + cluster + "-armed.log")
                        .isTrue();
                assertThat(Files.readString(Path.of("target", cluster + "-armed.log")))
                        .contains("failpoint " + failpoint + " armed");

                second = RestoreServiceUnderTest.fork(settings, Path.of("target", cluster + "-again.log"));
                RestoreProgress end = RestoreOutcomes.end(events, id, Duration.ofSeconds(180))
                        .orElseThrow(() -> new AssertionError("the restore killed at " + failpoint
                                + " never ended; see target/" + cluster + "-again.log"));
                assertThat(end.status()).as(failpoint + ": " + end.detail()).isEqualTo(ProgressStatus.COMPLETED);
                assertThat(RestoreOutcomes.endsBeforeSentinel(stream, events, request, id))
                        .as("one final event")
                        .isEmpty();
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    second.destroy();
                    second.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
        RestoreOutcomes.restored(etcd, snapshot, cluster, backplane, dir.resolve("spool"));
    }
}
