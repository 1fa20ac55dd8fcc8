package io.etcdguardian.snapshot;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** What the snapshot-service tests do as a client: ask for a backup and wait for its outcome. */
final class SnapshotRequests {
    private SnapshotRequests() {}

    /** Publishes an on-demand request for {@code cluster}; returns its completed or failed event. */
    static GuardianEvent outcome(EventStream stream, String cluster) {
        return outcome(stream, new BackupRequested(cluster, Trigger.ON_DEMAND, "test", "test", null, Instant.now()));
    }

    /** Publishes {@code request}; returns its completed or failed event. */
    static GuardianEvent outcome(EventStream stream, BackupRequested request) {
        String cluster = request.clusterId();
        try (EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            String id = stream.publish("/test", request).getId();
            return events.await(
                            e -> (e instanceof SnapshotCompleted c
                                            && c.requestId().equals(id))
                                    || (e instanceof SnapshotFailed f
                                            && f.requestId().equals(id)),
                            Duration.ofSeconds(90))
                    .orElseThrow(() -> new AssertionError("no outcome for " + cluster));
        }
    }

    /** A credentials file for the backplane's S3Proxy, as a store's credentialsFile names it. */
    static Path credentials(Backplane backplane, Path dir) {
        return backplane.s3().writeCredentials(dir.resolve("s3.properties"));
    }
}
