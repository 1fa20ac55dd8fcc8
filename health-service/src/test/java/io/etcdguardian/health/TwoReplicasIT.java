package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of health-service and a burst of concurrent requests for one cluster (from several
 * sources at once, one of them repeated): one defragmentation runs, the requests made before it
 * started are answered by it, none overlaps another, and the replicas split the watching.
 */
@ExtendWith(BackplaneExtension.class)
class TwoReplicasIT {
    @TempDir
    Path dir;

    @Test
    void concurrentRequestsToTwoReplicasMakeOneDefragAtATime(Backplane backplane) throws Exception {
        String cluster = "replicas-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        Map<String, Object> settings =
                Map.of("guardian.health.settle", "300ms", "guardian.health.group", "health-replicas-" + cluster);
        try (ApplicationContext one = HealthServiceUnderTest.start(backplane, dir, cluster, etcd, "", settings);
                ApplicationContext two = HealthServiceUnderTest.start(backplane, dir, cluster, etcd, "", settings);
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower progress = stream.follow(Topics.HEALTH_EVENTS)) {
            OwnedClusters ownedByOne = one.getBean(OwnedClusters.class);
            OwnedClusters ownedByTwo = two.getBean(OwnedClusters.class);
            await().atMost(Duration.ofSeconds(60)).until(() -> ownedByOne.ownsAny() && ownedByTwo.ownsAny());
            assertThat(ownedByOne.owns(cluster))
                    .as("exactly one replica watches the cluster")
                    .isNotEqualTo(ownedByTwo.owns(cluster));

            // an alert, the watcher, two operators, and one repeat — all at once
            Instant now = Instant.now();
            List<String> ids = IntStream.range(0, 4)
                    .mapToObj(i -> UUID.randomUUID().toString())
                    .toList();
            List<CompletableFuture<?>> sends = new ArrayList<>();
            for (String id : ids) {
                sends.add(CompletableFuture.runAsync(() -> stream.publish(EventEnvelope.wrap(
                        "/test",
                        id,
                        new MaintenanceRequested(cluster, MaintenanceRequested.Action.DEFRAG, "burst", "test", now)))));
            }
            sends.add(CompletableFuture.runAsync(() -> stream.publish(EventEnvelope.wrap(
                    "/test",
                    ids.get(0),
                    new MaintenanceRequested(cluster, MaintenanceRequested.Action.DEFRAG, "repeat", "test", now)))));
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();

            List<MaintenanceProgress> seen = new ArrayList<>();
            while (seen.stream().filter(p -> p.step().equals("maintenance")).count() < ids.size()) {
                seen.add((MaintenanceProgress) progress.await(
                                e -> e instanceof MaintenanceProgress p
                                        && p.clusterId().equals(cluster),
                                Duration.ofSeconds(90))
                        .orElseThrow(() -> new AssertionError("stalled after " + seen)));
            }
            Map<String, ProgressStatus> outcome = seen.stream()
                    .filter(p -> p.step().equals("maintenance"))
                    .collect(Collectors.toMap(MaintenanceProgress::operationId, MaintenanceProgress::status));
            assertThat(outcome.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(outcome.values())
                    .containsOnly(ProgressStatus.COMPLETED, ProgressStatus.SKIPPED)
                    .containsOnlyOnce(ProgressStatus.COMPLETED);

            // events of one cluster share a partition: their order is the order things happened in
            String running = null;
            for (MaintenanceProgress p : seen) {
                if (p.step().equals("maintenance")) {
                    if (p.operationId().equals(running)) {
                        running = null;
                    }
                    continue;
                }
                assertThat(running == null || running.equals(p.operationId()))
                        .as("%s while %s runs", p.operationId(), running)
                        .isTrue();
                running = p.operationId();
            }
            assertThat(seen.stream()
                            .filter(p -> p.step().equals("defrag") && p.status() == ProgressStatus.DONE)
                            .map(MaintenanceProgress::member)
                            .collect(Collectors.toSet()))
                    .hasSize(3);
            assertThat(HealthServiceUnderTest.outcomesBeforeSentinel(stream, progress, cluster))
                    .as("the repeat is done once")
                    .isEmpty();
        } finally {
            etcd.stop();
        }
    }
}
