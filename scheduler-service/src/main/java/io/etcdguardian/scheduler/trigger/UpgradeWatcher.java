package io.etcdguardian.scheduler.trigger;

import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.scheduler.BackupEmitter;
import io.etcdguardian.scheduler.config.SchedulerSettings;
import io.etcdguardian.scheduler.guard.ClusterFacts;
import io.etcdguardian.scheduler.leader.LeaderElection;
import io.etcdguardian.scheduler.schedule.ScheduleState;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a backup after every upgrade (OpenShift: the backup must match the z-stream it restores to):
 * polls each cluster's version history — ClusterVersion for OpenShift, the HostedCluster's
 * status.version for hosted clusters — and requests an UPGRADE backup when a newer Completed version
 * appears. The last version seen is kept in the scheduler state, so an upgrade that finished while
 * the scheduler was down still gets its backup; the first sighting of a cluster is only recorded.
 */
@Singleton
public class UpgradeWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeWatcher.class);

    private final FleetRegistry fleet;
    private final ClusterFacts facts;
    private final ScheduleState state;
    private final LeaderElection leader;
    private final BackupEmitter emitter;
    private final SchedulerSettings settings;

    public UpgradeWatcher(
            FleetRegistry fleet,
            ClusterFacts facts,
            ScheduleState state,
            LeaderElection leader,
            BackupEmitter emitter,
            SchedulerSettings settings) {
        this.fleet = fleet;
        this.facts = facts;
        this.state = state;
        this.leader = leader;
        this.emitter = emitter;
        this.settings = settings;
    }

    @Scheduled(fixedDelay = "${guardian.scheduler.upgrade-poll-interval:30s}", initialDelay = "5s")
    public void poll() {
        if (!settings.afterUpgrade() || !leader.isLeader()) {
            return;
        }
        for (ClusterSpec cluster : fleet.current().all()) {
            try {
                check(cluster);
            } catch (RuntimeException e) {
                LOG.warn("cannot read the version of {}: {}", cluster.id(), e.toString());
            }
        }
    }

    void check(ClusterSpec cluster) {
        Optional<String> version = facts.completedVersion(cluster);
        if (version.isEmpty()) {
            return;
        }
        String key = cluster.id() + "/upgrade";
        Optional<String> seen = state.get(key);
        if (seen.isPresent() && !seen.get().equals(version.get())) {
            emitter.request(
                    cluster,
                    Trigger.UPGRADE,
                    "upgraded from " + seen.get() + " to " + version.get(),
                    "scheduler-service",
                    null,
                    "upgrade/" + cluster.id() + "/" + version.get());
        }
        if (seen.isEmpty() || !seen.get().equals(version.get())) {
            state.put(key, version.get());
        }
    }
}
