package io.etcdguardian.health.defrag;

import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot before a defragmentation touches anything, waited for. The request id is the one the
 * scheduler derives for its own pre-defrag trigger, so the two never make two snapshots; and a
 * snapshot committed after the maintenance request was made already counts (a redelivered request
 * after a crash finds the snapshot it asked for the first time).
 */
@Singleton
public class SnapshotFirst {
    private final SnapshotCatalog catalog;
    private final String bootstrap;

    public SnapshotFirst(SnapshotCatalog catalog, @Value("${kafka.bootstrap.servers}") String bootstrap) {
        this.catalog = catalog;
        this.bootstrap = bootstrap;
    }

    /** Returns the id of the snapshot that now exists, or throws with why there is none. */
    public String ensure(ClusterSpec cluster, String operationId, Instant requestedAt, Duration timeout) {
        Optional<SnapshotManifest> recent = catalog.newest(cluster).filter(m -> !m.takenAt().isBefore(requestedAt));
        if (recent.isPresent()) {
            return recent.get().snapshotId();
        }
        String requestId = EventEnvelope.deterministicId("pre-defrag/" + operationId, BackupRequested.TYPE);
        try (EventStream stream = new EventStream(bootstrap);
             EventStream.Follower answers = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            stream.publish(EventEnvelope.wrap("/guardian/health-service", requestId, new BackupRequested(cluster.id(),
                    Trigger.PRE_DEFRAG, "before maintenance " + operationId, "health-service", null, requestedAt)));
            // the first failure aborts, even one snapshot-service will retry: no defragmentation on a maybe
            GuardianEvent answer = answers.await(e -> requestId.equals(requestIdOf(e)), timeout)
                    .orElseThrow(() -> new GuardianException(Reason.TIMEOUT, "no snapshot within " + timeout
                            + " of asking (is snapshot-service running?): nothing was defragmented"));
            if (answer instanceof SnapshotFailed failed) {
                throw new GuardianException(Reason.PRECONDITION_FAILED, "the snapshot before maintenance failed ("
                        + failed.reason() + ": " + failed.detail() + "): nothing was defragmented");
            }
            return ((SnapshotCompleted) answer).snapshotId();
        }
    }

    private static String requestIdOf(GuardianEvent event) {
        if (event instanceof SnapshotCompleted c) {
            return c.requestId();
        }
        return event instanceof SnapshotFailed f ? f.requestId() : null;
    }
}
