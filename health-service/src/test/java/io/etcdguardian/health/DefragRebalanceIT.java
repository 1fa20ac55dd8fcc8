package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.common.operation.LeaseStore;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition ownership is not a lock: a replica that loses its partition while it is inside a
 * defragmentation step keeps running — the zombie. Here it is frozen (SIGSTOP, as a long GC pause or a
 * stalled host would) past its session timeout, so Kafka hands its partitions to the other replica. The
 * replica that gets the redelivered request takes the operation's lease over (a larger fencing token),
 * resumes from the journal and ends it; the zombie, thawed, fails its next fencing check and stops
 * without journaling over its successor or publishing an outcome.
 */
@ExtendWith(BackplaneExtension.class)
class DefragRebalanceIT {
    @TempDir
    Path dir;

    @Test
    void aReplicaThatLostItsPartitionMidStepStopsAndTheNewOwnerEndsTheDefragOnce(Backplane backplane) throws Exception {
        String cluster = "rebalance-" + UUID.randomUUID().toString().substring(0, 6);
        String group = "health-rebalance-" + cluster;
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        Path zombieLog = Path.of("target", cluster + "-zombie.log");
        Process zombie = HealthServiceUnderTest.fork(
                HealthServiceUnderTest.settings(
                        backplane,
                        dir,
                        cluster,
                        etcd,
                        "",
                        "",
                        Map.of(
                                "guardian.health.group",
                                group,
                                "guardian.health.poll-interval",
                                "1h",
                                "guardian.health.settle",
                                "8s",
                                "guardian.health.settle-min",
                                "8s",
                                "kafka.consumers." + group + ".session.timeout.ms",
                                "6000")),
                zombieLog);
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> stream.consumers(group) > 0);
            CloudEvent request = stream.publish(
                    "/test",
                    new MaintenanceRequested(
                            cluster, MaintenanceRequested.Action.DEFRAG, "rebalance", "test", Instant.now()));
            health.await(
                            e -> e instanceof MaintenanceProgress p
                                    && p.operationId().equals(request.getId())
                                    && p.step().equals("defrag")
                                    && p.status() == ProgressStatus.STARTED,
                            Duration.ofSeconds(60))
                    .orElseThrow(() -> new AssertionError("the first replica never started; see " + zombieLog));
            signal(zombie, "STOP"); // inside its first member's step: the defrag, then 8 s of settling
            try (ApplicationContext successor = HealthServiceUnderTest.start(
                    backplane,
                    dir,
                    cluster,
                    etcd,
                    "",
                    Map.of(
                            "guardian.health.group",
                            group,
                            "guardian.health.poll-interval",
                            "1h",
                            "guardian.health.settle",
                            "100ms"))) {
                List<GuardianEvent> story = health.until(
                        e -> e instanceof MaintenanceProgress p
                                && p.operationId().equals(request.getId())
                                && p.step().equals("maintenance"),
                        Duration.ofSeconds(120));
                assertThat(story).as("the defragmentation ended").isNotEmpty();
                assertThat(((MaintenanceProgress) story.get(story.size() - 1)).status())
                        .isEqualTo(ProgressStatus.COMPLETED);
                assertThat(successor.getBean(OwnedClusters.class).owns(cluster)).isTrue();

                // the successor holds the operation's lease with a larger token than the first replica's
                var spec = successor.getBean(FleetRegistry.class).require(cluster);
                var lease = successor
                        .getBean(LeaseStore.class)
                        .read(spec, OperationKind.DEFRAG)
                        .orElseThrow()
                        .lease();
                assertThat(lease.token()).isGreaterThanOrEqualTo(2);
                assertThat(lease.operationId()).isEqualTo(request.getId());

                // the zombie thaws, fails its fencing check and says nothing more: one outcome, ever
                signal(zombie, "CONT");
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> Files.readString(zombieLog)
                                .contains(request.getId() + " of " + cluster + " abandoned here"));
                assertThat(HealthServiceUnderTest.outcomesBeforeSentinel(stream, health, cluster))
                        .as("no other outcome from the replica that lost the request")
                        .allSatisfy(p -> assertThat(p.operationId()).isNotEqualTo(request.getId()));
            }
        } finally {
            signal(zombie, "CONT");
            zombie.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            etcd.stop();
        }
    }

    private static void signal(Process process, String signal) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .inheritIO()
                .start()
                .waitFor(10, TimeUnit.SECONDS);
    }
}
