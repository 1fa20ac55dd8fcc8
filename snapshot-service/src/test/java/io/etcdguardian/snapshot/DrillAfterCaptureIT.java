package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotVerified;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * latest-verified is minutes old, not one drill interval: with the default settings (the scheduled
 * drill hours away) a committed snapshot is drilled right after its capture, off the request's thread.
 */
@ExtendWith(BackplaneExtension.class)
class DrillAfterCaptureIT {
    @TempDir
    Path dir;

    @Test
    void aCommittedSnapshotIsDrilledRightAfterItsCapture(Backplane backplane) throws Exception {
        String cluster = "fresh-" + UUID.randomUUID().toString().substring(0, 6);
        for (int i = 0; i < 200; i++) {
            backplane.etcd().etcdctl("put", "/registry/" + cluster + "/key-" + i, "value-" + i);
        }
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                """.formatted(
                        cluster,
                        String.join(", ", backplane.etcd().endpoints()),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        SnapshotRequests.credentials(backplane, dir)));
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                        "kafka.bootstrap.servers", backplane.kafka().bootstrapServers(),
                        "guardian.fleet.file", fleet.toString(),
                        "guardian.snapshot.group", "drill-" + cluster,
                        "guardian.snapshot.spool-dir", dir.resolve("spool").toString()));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String id = stream.publish(
                            "/test",
                            new BackupRequested(cluster, Trigger.ON_DEMAND, "test", "test", null, Instant.now()))
                    .getId();
            SnapshotCompleted done = (SnapshotCompleted) events.await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.requestId().equals(id),
                            Duration.ofSeconds(90))
                    .orElseThrow();
            SnapshotVerified drill = (SnapshotVerified) events.await(
                            e -> e instanceof SnapshotVerified v
                                    && v.snapshotId().equals(done.snapshotId()),
                            Duration.ofSeconds(120))
                    .orElseThrow(() -> new AssertionError("no drill after the capture of " + done.snapshotId()));
            assertThat(drill.result()).as(drill.detail()).isEqualTo(DrillResult.PASSED);
            assertThat(drill.restoredRevision()).isEqualTo(done.revision());

            var spec = context.getBean(FleetRegistry.class).require(cluster);
            SnapshotManifest latestVerified =
                    context.getBean(SnapshotCatalog.class).require(spec, "latest-verified");
            assertThat(latestVerified.snapshotId())
                    .as("the snapshot just taken is the one a restore takes")
                    .isEqualTo(done.snapshotId());
        }
    }
}
