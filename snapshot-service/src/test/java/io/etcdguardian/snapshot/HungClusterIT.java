package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-cluster order, fleet-wide parallelism: a cluster whose etcd hangs (SIGSTOP) holds back no other
 * cluster, not even one whose requests share its partition, and its own request is not lost.
 */
@ExtendWith(BackplaneExtension.class)
class HungClusterIT {
    @TempDir
    Path dir;

    @Test
    void aClusterWhoseEtcdHangsDelaysNoOtherClusterOnItsPartition(Backplane backplane) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String hung = "hung-" + run;
        String healthy = onThePartitionOf(hung, "healthy-" + run);
        String group = "snapshot-hung-" + run;
        EtcdCluster stalled = EtcdCluster.plan(dir.resolve("stalled"), 1, 0).start();
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: hung/ }
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s], dialTimeout: 60s, requestTimeout: 60s }
                  - id: %s
                    etcd: { endpoints: [%s] }
                """.formatted(
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        SnapshotRequests.credentials(backplane, dir),
                        hung,
                        stalled.endpoints().get(0),
                        healthy,
                        String.join(", ", backplane.etcd().endpoints())));
        Map<String, Object> props = new HashMap<>();
        props.put("micronaut.server.port", -1);
        props.put("kafka.bootstrap.servers", backplane.kafka().bootstrapServers());
        props.put("guardian.fleet.file", fleet.toString());
        props.put("guardian.fleet.topic.enabled", "false");
        props.put("guardian.snapshot.group", group);
        props.put("guardian.snapshot.concurrency", 4);
        props.put("guardian.snapshot.spool-dir", dir.resolve("spool").toString());
        props.put("guardian.snapshot.drill.enabled", "false");
        try (ApplicationContext service =
                        ApplicationContext.run(EmbeddedServer.class, props).getApplicationContext();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> stream.consumers(group) > 0);
            stalled.signalMember(0, "STOP");
            String stuck = request(stream, hung);
            String behind = request(stream, healthy);

            List<GuardianEvent> meanwhile = events.until(outcomeOf(behind), Duration.ofSeconds(90));
            assertThat(meanwhile)
                    .as("the healthy cluster's snapshot, behind the hung one on its partition")
                    .isNotEmpty();
            assertThat(meanwhile.get(meanwhile.size() - 1)).isInstanceOf(SnapshotCompleted.class);
            assertThat(meanwhile).as("the hung cluster is still at it").noneMatch(outcomeOf(stuck));

            stalled.signalMember(0, "CONT");
            assertThat(events.await(outcomeOf(stuck), Duration.ofSeconds(120)))
                    .as("the hung cluster's request, once its etcd answers again: not lost")
                    .get()
                    .isInstanceOf(SnapshotCompleted.class);
        } finally {
            stalled.signalMember(0, "CONT");
            stalled.stop();
        }
    }

    /** A cluster id, {@code base} with a suffix, whose requests land on the same partition as {@code other}'s. */
    private static String onThePartitionOf(String other, String base) {
        for (int i = 0; ; i++) {
            String candidate = base + "-" + i;
            if (partitionOf(candidate) == partitionOf(other)) {
                return candidate;
            }
        }
    }

    private static int partitionOf(String cluster) {
        return Utils.toPositive(Utils.murmur2(cluster.getBytes(StandardCharsets.UTF_8))) % Topics.PARTITIONS;
    }

    private static String request(EventStream stream, String cluster) {
        return stream.publish(
                        "/test", new BackupRequested(cluster, Trigger.ON_DEMAND, "test", "test", null, Instant.now()))
                .getId();
    }

    private static Predicate<GuardianEvent> outcomeOf(String requestId) {
        return e -> (e instanceof SnapshotCompleted c && c.requestId().equals(requestId))
                || (e instanceof SnapshotFailed f && f.requestId().equals(requestId));
    }
}
