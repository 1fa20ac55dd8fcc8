package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
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
 * health-service SIGKILLed in the middle of a defragmentation (a member done, the next not started):
 * the request comes back to a new process, which resumes from the journal — the done member is
 * skipped, not defragmented twice — and ends the operation once.
 */
@ExtendWith(BackplaneExtension.class)
class DefragKilledMidStepTest {
    @TempDir
    Path dir;

    @Test
    void aKilledServiceIsReplacedAndTheDefragResumesAfterTheDoneMembers(Backplane backplane) throws Exception {
        String cluster = "killed-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        HealthServiceUnderTest.createTopics(backplane);
        Map<String, Object> settings = HealthServiceUnderTest.settings(backplane, dir, cluster, etcd, "", "",
                Map.of("guardian.health.poll-interval", "1h", "guardian.health.settle", "3s",
                        "micronaut.server.port", "-1", "guardian.operation.lease-ttl", "10s",
                        // the killed consumer's partitions move on after the session timeout, not after 45 s
                        "kafka.consumers.health-" + cluster + ".session.timeout.ms", "8000"));
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
             EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
            Process first = HealthServiceUnderTest.fork(settings, Path.of("target", cluster + "-first.log"));
            Process second = null;
            try {
                CloudEvent request = stream.publish("/test", new MaintenanceRequested(cluster,
                        MaintenanceRequested.Action.DEFRAG, "kill", "test", Instant.now()));
                // the first member is defragmented and journaled; the service dies settling before the next
                MaintenanceProgress firstDone = (MaintenanceProgress) health.await(e -> e instanceof MaintenanceProgress p
                        && p.operationId().equals(request.getId()) && p.step().equals("defrag")
                        && p.status().equals("DONE"), Duration.ofSeconds(90))
                        .orElseThrow(() -> new AssertionError("no member defragmented; see target/" + cluster
                                + "-first.log"));
                // the step is journaled right after its DONE event: kill once the journal has it
                io.etcdguardian.common.kafka.CompactedTopic journal = new io.etcdguardian.common.kafka.CompactedTopic(
                        Topics.OPERATIONS, null, Map.of("bootstrap.servers", backplane.kafka().bootstrapServers()));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    journal.reload();
                    return journal.get(request.getId()).filter(j -> j.contains("defrag " + firstDone.member()))
                            .isPresent();
                });
                first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

                second = HealthServiceUnderTest.fork(settings, Path.of("target", cluster + "-second.log"));
                List<GuardianEvent> story = health.until(e -> e instanceof MaintenanceProgress p
                        && p.operationId().equals(request.getId()) && p.step().equals("maintenance"),
                        Duration.ofSeconds(180));
                assertThat(story).as("the defragmentation ended; see target/" + cluster + "-second.log").isNotEmpty();
                List<MaintenanceProgress> progress = story.stream().filter(e -> e instanceof MaintenanceProgress p
                        && p.operationId().equals(request.getId())).map(MaintenanceProgress.class::cast).toList();
                assertThat(progress.get(progress.size() - 1).status()).isEqualTo("COMPLETED");
                assertThat(progress).filteredOn(p -> p.step().equals("defrag") && p.status().equals("SKIPPED"))
                        .extracting(MaintenanceProgress::member).containsExactly(firstDone.member());
                List<String> defragmented = new java.util.ArrayList<>(List.of(firstDone.member()));
                progress.stream().filter(p -> p.step().equals("defrag") && p.status().equals("DONE"))
                        .map(MaintenanceProgress::member).forEach(defragmented::add);
                assertThat(defragmented).as("every member once, the first one before the kill")
                        .containsExactlyInAnyOrderElementsOf(etcd.endpoints());
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    second.destroy();
                    second.waitFor(20, TimeUnit.SECONDS);
                }
            }
        } finally {
            etcd.stop();
        }
    }
}
