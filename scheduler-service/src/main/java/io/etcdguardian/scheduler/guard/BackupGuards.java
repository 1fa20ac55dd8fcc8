package io.etcdguardian.scheduler.guard;

import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.TimeWindow;
import io.etcdguardian.scheduler.config.SchedulerSettings;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seeds' rules for when not to back up, checked before every request: the cluster is paused, a
 * backup is already in flight, the cluster is younger than {@code min-cluster-age} (before the first
 * certificate rotation), etcd encryption or decryption is still running, or (scheduled only) the slot
 * falls in a blackout window.
 */
@Singleton
public class BackupGuards {
    private static final Logger LOG = LoggerFactory.getLogger(BackupGuards.class);

    /** Why a backup is not requested now. */
    public record Skip(Reason reason, String detail) {}

    private final InFlight inFlight;
    private final ClusterFacts facts;
    private final SchedulerSettings settings;
    private final Clock clock;

    public BackupGuards(InFlight inFlight, ClusterFacts facts, SchedulerSettings settings, Clock clock) {
        this.inFlight = inFlight;
        this.facts = facts;
        this.settings = settings;
        this.clock = clock;
    }

    public Optional<Skip> check(ClusterSpec cluster, Trigger trigger, Instant slot) {
        if (cluster.isPaused()) {
            return Optional.of(new Skip(Reason.PAUSED, "the cluster is paused in the fleet"));
        }
        Optional<InFlight.Request> running = inFlight.current(cluster.id());
        if (running.isPresent()) {
            return Optional.of(
                    new Skip(Reason.IN_FLIGHT, "request " + running.get().requestId() + " has no outcome yet"));
        }
        if ((trigger == Trigger.SCHEDULE || trigger == Trigger.CATCH_UP)
                && cluster.schedule() != null
                && cluster.schedule().blackouts() != null) {
            ZoneId zone = cluster.schedule().timezone() == null
                    ? ZoneId.of("UTC")
                    : ZoneId.of(cluster.schedule().timezone());
            List<TimeWindow> blackouts = cluster.schedule().blackouts().stream()
                    .map(TimeWindow::parse)
                    .toList();
            Instant at = clock.instant();
            for (int i = 0; i < blackouts.size(); i++) {
                if (blackouts.get(i).contains(at.atZone(zone))) {
                    return Optional.of(new Skip(
                            Reason.BLACKOUT,
                            "inside blackout window "
                                    + cluster.schedule().blackouts().get(i)));
                }
            }
        }
        try {
            Optional<Instant> created = facts.createdAt(cluster);
            if (created.isPresent()
                    && created.get().plus(settings.minClusterAge()).isAfter(clock.instant())) {
                return Optional.of(new Skip(
                        Reason.TOO_YOUNG,
                        "created " + created.get() + ", less than " + settings.minClusterAge()
                                + " ago (before the first certificate rotation)"));
            }
            Optional<String> encryption = facts.encryptionInProgress(cluster);
            if (encryption.isPresent()) {
                return Optional.of(
                        new Skip(Reason.ENCRYPTION_IN_PROGRESS, "Encrypted condition is " + encryption.get()));
            }
        } catch (KubernetesClientException e) {
            // the API being down must not stop backups: a backup is exactly what one wants then
            LOG.warn(
                    "cannot read the control plane of {} ({}); backing up without those checks",
                    cluster.id(),
                    e.getCode());
        }
        return Optional.empty();
    }
}
