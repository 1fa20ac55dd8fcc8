package io.etcdguardian.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real etcd clusters on one storage domain with {@code domain-restores: 1}, both restored at
 * once (the service would run them side by side otherwise): one restores, the other reports WAITING
 * at the storage-domain step naming it, and fetches its snapshot only after the first restore's last
 * step is done; both complete.
 */
@ExtendWith(BackplaneExtension.class)
class DomainRestoreIT {
    @TempDir
    Path dir;

    @Test
    void twoClustersOfOneDomainRestoreOneAfterTheOther(Backplane backplane) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 6);
        String a = "rdomain-a-" + run;
        String b = "rdomain-b-" + run;
        EtcdCluster etcdA = EtcdCluster.plan(dir.resolve("etcd-a"), 1, 0).start();
        EtcdCluster etcdB = EtcdCluster.plan(dir.resolve("etcd-b"), 1, 0).start();
        try {
            SnapshotManifest snapA =
                    CommittedSnapshots.commit(backplane, "", a, etcdA, Files.createDirectories(dir.resolve("a")), null);
            SnapshotManifest snapB =
                    CommittedSnapshots.commit(backplane, "", b, etcdB, Files.createDirectories(dir.resolve("b")), null);
            Path credentials = RestoreServiceUnderTest.credentials(backplane, dir);
            Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                    defaults:
                      store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                      kubernetes: { kind: local }
                      storageDomain: array-%s
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s] }
                        restore: { localDir: %s }
                      - id: %s
                        etcd: { endpoints: [%s] }
                        restore: { localDir: %s }
                    """.formatted(
                            backplane.bucket(),
                            backplane.s3().endpoint(),
                            credentials,
                            run,
                            a,
                            String.join(", ", etcdA.endpoints()),
                            etcdA.dir(),
                            b,
                            String.join(", ", etcdB.endpoints()),
                            etcdB.dir()));
            Map<String, String> settings =
                    new HashMap<>(RestoreServiceUnderTest.settings(backplane, fleet, dir, "restore-" + run));
            settings.put("guardian.restore.domain-restores", "1");
            try (ApplicationContext service = RestoreServiceUnderTest.start(settings);
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS)) {
                RestoreRequested toA = new RestoreRequested(a, snapA.snapshotId(), "local", false, false, "test");
                RestoreRequested toB = new RestoreRequested(b, snapB.snapshotId(), "local", false, false, "test");
                // both plans first, then both applies back to back: they meet at the domain
                String dryA = stream.publish("/test", toA.planOnly()).getId();
                String dryB = stream.publish("/test", toB.planOnly()).getId();
                String digestA = planDigest(events, dryA);
                String digestB = planDigest(events, dryB);
                String idA = stream.publish("/test", toA.applying(digestA)).getId();
                String idB = stream.publish("/test", toB.applying(digestB)).getId();

                List<RestoreProgress> seen = new ArrayList<>();
                Set<String> ids = Set.of(idA, idB);
                int ended = 0;
                while (ended < 2) {
                    RestoreProgress p = (RestoreProgress) events.await(
                                    e -> e instanceof RestoreProgress r && ids.contains(r.restoreId()),
                                    Duration.ofSeconds(120))
                            .orElseThrow(() -> new AssertionError("no outcome; events so far: " + seen));
                    seen.add(p);
                    if (p.step().equals("restore") && p.status() != ProgressStatus.STARTED) {
                        ended++;
                        assertThat(p.status()).as(p.toString()).isEqualTo(ProgressStatus.COMPLETED);
                    }
                }
                RestoreProgress waited = seen.stream()
                        .filter(p -> p.step().equals("storage-domain") && p.status() == ProgressStatus.WAITING)
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("nobody waited for the domain: " + seen));
                String waiter = waited.clusterId();
                String holder = waiter.equals(a) ? b : a;
                assertThat(waited.detail())
                        .contains("storage domain array-" + run)
                        .contains(holder)
                        .contains("waiting up to");
                Instant holderDone = at(seen, holder, "cleanup", ProgressStatus.DONE);
                Instant waiterFetches = at(seen, waiter, "fetch-snapshot", ProgressStatus.STARTED);
                assertThat(waiterFetches)
                        .as("%s restores only after %s's restore is done", waiter, holder)
                        .isAfterOrEqualTo(holderDone);
                assertThat(seen)
                        .filteredOn(p -> p.step().equals("storage-domain"))
                        .as("the holder never waited")
                        .allMatch(p -> p.clusterId().equals(waiter));
            }
        } finally {
            etcdA.stop();
            etcdB.stop();
        }
    }

    private static String planDigest(EventStream.Follower events, String dryRun) {
        return ((io.etcdguardian.common.event.RestorePlanned) events.await(
                                e -> e instanceof io.etcdguardian.common.event.RestorePlanned p
                                        && p.restoreId().equals(dryRun),
                                Duration.ofSeconds(120))
                        .orElseThrow(() -> new AssertionError("no plan for " + dryRun)))
                .planDigest();
    }

    private static Instant at(List<RestoreProgress> seen, String cluster, String step, ProgressStatus status) {
        return seen.stream()
                .filter(p -> p.clusterId().equals(cluster) && p.step().equals(step) && p.status() == status)
                .map(RestoreProgress::at)
                .findFirst()
                .orElseThrow(() -> new AssertionError(cluster + " has no " + step + " " + status + ": " + seen));
    }
}
