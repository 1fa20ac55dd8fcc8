package io.etcdguardian.common.operation;

import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotVerified;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot before an operation changes anything (a defragmentation, a restore), waited for. The
 * request id derives from the trigger and the operation id (for a defragmentation the one the
 * scheduler derives for its own pre-defrag trigger, so the two never make two snapshots); a
 * snapshot committed after the operation was requested already counts, so a redelivered request
 * after a crash finds the snapshot it asked for the first time.
 */
@Singleton
public class SnapshotFirst {
    private final SnapshotCatalog catalog;
    private final String bootstrap;
    private final Map<String, String> security;

    public SnapshotFirst(
            SnapshotCatalog catalog,
            @Value("${kafka.bootstrap.servers}") String bootstrap,
            KafkaDefaultConfiguration kafka) {
        this.catalog = catalog;
        this.bootstrap = bootstrap;
        // the service's own TLS and SASL settings: against a secured broker a bare client is refused
        this.security = EventStream.securitySettings(kafka.getConfig());
    }

    /** Returns the id of the snapshot that now exists, or throws with why there is none. */
    public String ensure(ClusterSpec cluster, String operationId, Instant requestedAt, Duration timeout) {
        return ensure(cluster, Trigger.PRE_DEFRAG, operationId, requestedAt, timeout, "health-service");
    }

    /**
     * A snapshot for {@code trigger} (PRE_DEFRAG, PRE_RESTORE) before operation {@code operationId};
     * returns its id, or throws with why there is none (the first failure counts, even one
     * snapshot-service would retry: nothing destructive starts on a maybe).
     */
    public String ensure(
            ClusterSpec cluster,
            Trigger trigger,
            String operationId,
            Instant requestedAt,
            Duration timeout,
            String source) {
        Optional<SnapshotManifest> recent =
                catalog.newest(cluster).filter(m -> !m.takenAt().isBefore(requestedAt));
        if (recent.isPresent()) {
            return recent.get().snapshotId();
        }
        String prefix = trigger == Trigger.PRE_DEFRAG
                ? "pre-defrag/"
                : trigger.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + "/";
        String requestId = EventEnvelope.deterministicId(prefix + operationId, BackupRequested.TYPE);
        return ask(
                cluster,
                requestId,
                new BackupRequested(cluster.id(), trigger, "before " + operationId, source, null, requestedAt),
                timeout,
                source,
                false);
    }

    /**
     * The snapshot of the cluster as it was at {@code toRevision} (or {@code toTime}) for operation
     * {@code operationId}, made by snapshot-service from a snapshot and the journal; its id, or why there is
     * none. Asked again for the same point (another operation), snapshot-service answers with the same one.
     * Returned once its drill ran (snapshot-service drills it after committing it): a restore takes only a
     * snapshot proven restorable, and the caller checks the result.
     */
    public String pointInTime(
            ClusterSpec cluster, Long toRevision, Instant toTime, String operationId, Duration timeout, String source) {
        String requestId = EventEnvelope.deterministicId("point-in-time/" + operationId, BackupRequested.TYPE);
        return ask(
                cluster,
                requestId,
                BackupRequested.pointInTime(cluster.id(), toRevision, toTime, "for " + operationId, source),
                timeout,
                source,
                true);
    }

    private String ask(
            ClusterSpec cluster,
            String requestId,
            BackupRequested request,
            Duration timeout,
            String source,
            boolean drilled) {
        try (EventStream stream = new EventStream(bootstrap, security);
                EventStream.Follower answers = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            stream.publish(EventEnvelope.wrap("/guardian/" + source, requestId, request));
            GuardianEvent answer = answers.await(e -> requestId.equals(requestIdOf(e)), timeout)
                    .orElseThrow(() -> new GuardianException(
                            Reason.TIMEOUT,
                            "no snapshot within " + timeout + " of asking (is snapshot-service running?)"));
            if (answer instanceof SnapshotFailed failed) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "the snapshot failed (" + failed.reason() + ": " + failed.detail() + ")");
            }
            String id = ((SnapshotCompleted) answer).snapshotId();
            // followed since before the request: a drill that ended meanwhile is among what it read
            if (drilled && catalog.require(cluster, id).drill() == null) {
                answers.await(
                                e -> e instanceof SnapshotVerified v
                                        && v.snapshotId().equals(id),
                                timeout)
                        .orElseThrow(() -> new GuardianException(
                                Reason.TIMEOUT,
                                "snapshot " + id + " was made but not drilled within " + timeout
                                        + " (drills after capture off, or the snapshot larger than"
                                        + " drill-after-capture-max-bytes): drill it (guardianctl snapshots drill)"
                                        + " and restore it by its id"));
            }
            return id;
        }
    }

    private static String requestIdOf(GuardianEvent event) {
        if (event instanceof SnapshotCompleted c) {
            return c.requestId();
        }
        return event instanceof SnapshotFailed f ? f.requestId() : null;
    }
}
