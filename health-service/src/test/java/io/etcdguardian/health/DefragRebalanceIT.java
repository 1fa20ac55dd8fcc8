package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.EventEnvelope;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition ownership is not a lock: a replica whose partition is revoked while it is inside a
 * defragmentation step (it stopped polling for longer than max.poll.interval) keeps running — the
 * zombie. The replica that gets the redelivered request takes the operation's lease over (a larger
 * fencing token), resumes from the journal and ends it; the zombie's next fencing check fails and it
 * stops without journaling over its successor or publishing an outcome.
 */
@ExtendWith(BackplaneExtension.class)
class DefragRebalanceIT {
    @TempDir
    Path dir;

    @Test
    void aReplicaThatLostItsPartitionMidStepStopsAndTheNewOwnerEndsTheDefragOnce(Backplane backplane) {
        String cluster = "rebalance-" + UUID.randomUUID().toString().substring(0, 6);
        String group = "health-rebalance-" + cluster;
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        HealthServiceUnderTest.createTopics(backplane);
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
                // A stops polling while it settles after its first member: Kafka revokes its partitions
                ApplicationContext zombie = HealthServiceUnderTest.start(
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
                                "8s",
                                "guardian.health.settle-min",
                                "8s",
                                "guardian.health.max-poll-interval-ms",
                                "4000"))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> zombie.getBean(OwnedClusters.class).owns(cluster));
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
                    .orElseThrow(() -> new AssertionError("the first replica never started"));
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

                // the successor holds the operation's lease with a larger token than the first replica's
                var spec = successor.getBean(FleetRegistry.class).require(cluster);
                var lease = successor
                        .getBean(LeaseStore.class)
                        .read(spec, OperationKind.DEFRAG)
                        .orElseThrow()
                        .lease();
                assertThat(lease.token()).isGreaterThanOrEqualTo(2);
                assertThat(lease.operationId()).isEqualTo(request.getId());

                // the zombie wakes up, fails its fencing check and says nothing more: one outcome, ever
                CloudEvent sentinel = EventEnvelope.wrap(
                        "/test",
                        new MaintenanceRequested(
                                cluster, MaintenanceRequested.Action.DEFRAG, "sentinel", "test", Instant.now()));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> zombie.getBean(io.etcdguardian.health.defrag.DefragWorkflow.class)
                                        .abandoned()
                                > 0);
                stream.publish(sentinel);
                List<GuardianEvent> after = health.until(
                        e -> e instanceof MaintenanceProgress p
                                && p.operationId().equals(sentinel.getId())
                                && p.step().equals("maintenance"),
                        Duration.ofSeconds(120));
                // a redelivery (the partition moving back after the zombie rejoined) may repeat the outcome,
                // identically; nothing may ever say anything else about this operation
                assertThat(after)
                        .filteredOn(e -> e instanceof MaintenanceProgress p
                                && p.operationId().equals(request.getId()))
                        .as("no other outcome, and no step, from the replica that lost the request")
                        .allSatisfy(e -> assertThat((MaintenanceProgress) e)
                                .extracting(MaintenanceProgress::step, MaintenanceProgress::status)
                                .containsExactly("maintenance", ProgressStatus.COMPLETED));
            }
        } finally {
            etcd.stop();
        }
    }
}
