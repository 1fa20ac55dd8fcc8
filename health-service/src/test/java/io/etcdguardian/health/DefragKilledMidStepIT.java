package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * health-service SIGKILLed right after a destructive step of a defragmentation was journaled —
 * after the compaction, after a member's defrag, after moving the leader while the former leader
 * is defragmented with the NOSPACE disarm still to come — is replaced by a new process that gets the request again and resumes from
 * the journal: no step journaled before the kill runs again (no member defragmented twice, no second
 * compaction), the rest runs, and the operation ends once, COMPLETED.
 */
@ExtendWith(BackplaneExtension.class)
class DefragKilledMidStepIT {
    private static final long QUOTA = 16L * 1024 * 1024;

    @TempDir
    Path dir;

    private Backplane backplane;

    @BeforeEach
    void backplane(Backplane backplane) {
        this.backplane = backplane;
    }

    @ParameterizedTest(name = "killed after {0}")
    @ValueSource(
            strings = {"compact", "a member's defrag", "move-leader, in the former leader's defrag, before disarm"})
    void aKilledServiceIsReplacedAndTheDefragResumesAfterTheJournaledSteps(String killAfter) throws Exception {
        String cluster = "killed-" + UUID.randomUUID().toString().substring(0, 6);
        boolean nospace = killAfter.contains("disarm");
        EtcdCluster etcd =
                EtcdCluster.plan(dir.resolve("etcd"), 3, nospace ? QUOTA : 0).start();
        Predicate<OperationRecord> journaled = switch (killAfter) {
            case "compact" -> r -> r.done().contains("compact");
            case "a member's defrag" -> r -> r.done().stream().anyMatch(s -> s.startsWith("defrag "));
            // the former leader's defrag under way (it settles before it is journaled), the disarm after it
            default -> r -> r.plan().contains("disarm") && r.done().contains("move-leader");
        };
        Map<String, Object> settings = HealthServiceUnderTest.settings(
                backplane,
                dir,
                cluster,
                etcd,
                nospace ? ", quotaBackendBytes: " + QUOTA : "",
                "",
                // the watcher would ask for its own NOSPACE heal: this test asks, once
                Map.of(
                        "guardian.health.poll-interval",
                        "1h",
                        "guardian.health.settle",
                        "3s",
                        "guardian.health.defrag-compacts",
                        "true", // so a plain defrag has a compaction to kill
                        "guardian.health.auto-maintenance",
                        "false",
                        "micronaut.server.port",
                        "-1",
                        "guardian.operation.lease-ttl",
                        "10s",
                        // the killed consumer's partitions move on after the session timeout, not after 45 s
                        "kafka.consumers.health-" + cluster + ".session.timeout.ms",
                        "8000"));
        try (Client client = Client.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new))
                        .build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
                CompactedTopic journal = new CompactedTopic(
                        Topics.OPERATIONS,
                        null,
                        Map.of("bootstrap.servers", backplane.kafka().bootstrapServers()))) {
            if (nospace) {
                HealthServiceUnderTest.fillUntilNospace(client);
                assertThat(etcd.etcdctl("alarm", "list")).contains("NOSPACE");
            }
            Process first = HealthServiceUnderTest.fork(settings, Path.of("target", cluster + "-first.log"));
            Process second = null;
            try {
                CloudEvent request = stream.publish(
                        "/test",
                        new MaintenanceRequested(
                                cluster,
                                nospace ? MaintenanceRequested.Action.HEAL_NOSPACE : MaintenanceRequested.Action.DEFRAG,
                                "kill",
                                "test",
                                Instant.now()));
                String id = request.getId();
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> HealthServiceUnderTest.journaled(journal, id)
                                .filter(journaled)
                                .isPresent());
                first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                Instant killed = Instant.now();
                // the process is gone: what the journal holds now is what it had done
                OperationRecord atKill =
                        HealthServiceUnderTest.journaled(journal, id).orElseThrow();
                assertThat(atKill.status()).isEqualTo(OperationRecord.Status.RUNNING);

                second = HealthServiceUnderTest.fork(settings, Path.of("target", cluster + "-second.log"));
                List<GuardianEvent> story = health.until(
                        e -> e instanceof MaintenanceProgress p
                                && p.operationId().equals(id)
                                && p.step().equals("maintenance"),
                        Duration.ofSeconds(180));
                List<MaintenanceProgress> progress = story.stream()
                        .filter(e -> e instanceof MaintenanceProgress p
                                && p.operationId().equals(id))
                        .map(MaintenanceProgress.class::cast)
                        .toList();
                assertThat(progress)
                        .as("the defragmentation ended; see target/" + cluster + "-second.log")
                        .isNotEmpty();
                assertThat(progress.get(progress.size() - 1).status())
                        .as(progress.get(progress.size() - 1).detail())
                        .isEqualTo(ProgressStatus.COMPLETED);
                List<MaintenanceProgress> after =
                        progress.stream().filter(p -> p.at().isAfter(killed)).toList();
                Set<String> doneBefore = new HashSet<>(atKill.done());
                assertThat(after)
                        .as("nothing journaled before the kill runs again")
                        .noneMatch(p -> (p.status() == ProgressStatus.STARTED || p.status() == ProgressStatus.DONE)
                                && doneBefore.contains(p.member() == null ? p.step() : p.step() + " " + p.member()));
                assertThat(after)
                        .filteredOn(p -> p.step().equals("defrag") && p.status() == ProgressStatus.SKIPPED)
                        .extracting(p -> "defrag " + p.member())
                        .containsExactlyInAnyOrderElementsOf(doneBefore.stream()
                                .filter(s -> s.startsWith("defrag "))
                                .toList());
                assertThat(HealthServiceUnderTest.journaled(journal, id)
                                .orElseThrow()
                                .done())
                        .as("every member defragmented")
                        .containsAll(etcd.endpoints().stream()
                                .map(e -> "defrag " + e)
                                .toList());
                if (nospace) {
                    assertThat(after).anyMatch(p -> p.step().equals("disarm") && p.status() == ProgressStatus.DONE);
                    assertThat(etcd.etcdctl("alarm", "list")).doesNotContain("NOSPACE");
                    client.getKVClient()
                            .put(bytes("/after-heal"), bytes("accepted"))
                            .get(10, TimeUnit.SECONDS);
                }
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

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text.getBytes());
    }
}
