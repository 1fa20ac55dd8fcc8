package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.FaultMatrixScope;
import io.etcdguardian.backplane.KafkaBroker;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix of the defragmentation and the NOSPACE heal beyond their own process:
 * health-service is held before a member's defrag ({@code defrag.member=pause}, before its health
 * gate) while another member is killed or stalled (SIGSTOP past the status deadline), leadership is
 * moved onto the member about to be defragmented, or the Kafka broker is restarted. Then: never a
 * defrag started while another member is unavailable (the operation ends FAILED in place, saying which
 * member and why; a heal leaves NOSPACE armed), never the leader defragmented, one final event per
 * operation, the next operation completing (a heal disarming NOSPACE), the cluster healthy and
 * writable. Its own broker, since it restarts it. The heal runs on a 16 MiB-quota cluster filled until
 * etcd raises NOSPACE before each case.
 */
class DefragEnvironmentFaultIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final long QUOTA = 16L * 1024 * 1024;

    @TempDir
    static Path dir;

    static EtcdCluster plainEtcd;
    static KafkaBroker kafka;
    static Backplane backplane;

    @BeforeAll
    static void start() {
        plainEtcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        for (int i = 0; i < 100; i++) {
            plainEtcd.etcdctl("put", "/defrag/" + (i % 10), "value-" + i); // old revisions: something to defragment
        }
        kafka = KafkaBroker.plan(dir.resolve("kafka")).start();
        backplane = new Backplane(dir, plainEtcd, kafka, null, "defrag-faults-" + RUN);
    }

    @AfterAll
    static void stop() {
        kafka.stop();
        plainEtcd.stop();
    }

    /** What is done to the world while the service waits before the defrag of {@code target}. */
    private record Fault(String name, boolean completes, Injection inject, Injection heal) {}

    @FunctionalInterface
    private interface Injection {
        void at(EtcdCluster etcd, int target, int other) throws Exception;
    }

    private static List<Fault> faults() {
        return List.of(
                new Fault(
                        "another etcd member killed",
                        false,
                        (etcd, target, other) -> etcd.killMember(other),
                        (etcd, target, other) -> {
                            etcd.startMember(other);
                            etcd.awaitHealthyDespite(other, "NOSPACE"); // a heal's cluster still has its alarm
                        }),
                new Fault(
                        "another etcd member stalled (SIGSTOP)",
                        false,
                        (etcd, target, other) -> etcd.signalMember(other, "STOP"),
                        (etcd, target, other) -> etcd.signalMember(other, "CONT")),
                new Fault(
                        "leadership moved onto the member",
                        true,
                        (etcd, target, other) -> {
                            etcd.moveLeaderTo(target);
                            await().atMost(Duration.ofSeconds(10)).until(() -> etcd.leaderIndex() == target);
                        },
                        (etcd, target, other) -> {}),
                // the planned leader no longer leads when the plan's move-leader step comes
                new Fault(
                        "leadership moved to the other follower",
                        true,
                        (etcd, target, other) -> {
                            etcd.moveLeaderTo(other);
                            await().atMost(Duration.ofSeconds(10)).until(() -> etcd.leaderIndex() == other);
                        },
                        (etcd, target, other) -> {}),
                // the released service writes at once; the broker takes seconds to come back
                new Fault(
                        "Kafka broker restarted",
                        true,
                        (etcd, target, other) -> kafka.stop(),
                        (etcd, target, other) -> kafka.start()));
    }

    @Test
    void everyEnvironmentFaultDuringADefragLosesNothing() throws Exception {
        matrix(MaintenanceRequested.Action.DEFRAG, plainEtcd, faults());
    }

    /** In CI the case that must leave NOSPACE armed; every case with {@code -Dguardian.matrix=full}. */
    @Test
    void everyEnvironmentFaultDuringANospaceHealLosesNothing() throws Exception {
        List<Fault> faults = FaultMatrixScope.cases(faults(), f -> f.name().equals("another etcd member killed"));
        EtcdCluster quotaed =
                EtcdCluster.plan(dir.resolve("etcd-nospace"), 3, QUOTA).start();
        try {
            matrix(MaintenanceRequested.Action.HEAL_NOSPACE, quotaed, faults);
        } finally {
            quotaed.stop();
        }
    }

    private void matrix(MaintenanceRequested.Action action, EtcdCluster etcd, List<Fault> faults) throws Exception {
        String operation = action == MaintenanceRequested.Action.DEFRAG ? "defrag" : "heal";
        List<String> table = new ArrayList<>();
        int survived = 0;
        for (Fault fault : faults) {
            run(action, etcd, fault, "env" + operation + "-" + (table.size() + 1) + "-" + RUN);
            survived++;
            table.add(String.format("  %-9s %-14s %-40s %s", operation, "defrag.member", fault.name(), "survived"));
        }
        System.out.println("fault matrix (health-service, environment, " + operation + "), "
                + FaultMatrixScope.describe(faults.size(), faults().size())
                + "\n  operation step           fault" + " ".repeat(36) + "result\n" + String.join("\n", table)
                + "\n" + faults.size() + " faults injected, " + survived + " survived, " + (faults.size() - survived)
                + " lost");
    }

    private void run(MaintenanceRequested.Action action, EtcdCluster etcd, Fault fault, String cluster)
            throws Exception {
        boolean heal = action == MaintenanceRequested.Action.HEAL_NOSPACE;
        if (heal) {
            try (Client client = Client.builder()
                    .endpoints(etcd.endpoints().toArray(String[]::new))
                    .build()) {
                HealthServiceUnderTest.fillUntilNospace(client);
            }
        }
        Path failpoints = Files.createDirectories(dir.resolve("failpoints-" + cluster));
        Path marker = failpoints.resolve("defrag.member.paused");
        Map<String, Object> settings = HealthServiceUnderTest.settings(
                backplane,
                dir,
                cluster,
                etcd,
                heal ? ", quotaBackendBytes: " + QUOTA : "",
                "",
                Map.of(
                        "guardian.health.poll-interval",
                        "1h",
                        "guardian.health.settle",
                        "1s",
                        "guardian.health.auto-maintenance",
                        "false",
                        "guardian.operation.lease-ttl",
                        "10s",
                        "guardian.failpoints",
                        "defrag.member=pause",
                        "guardian.failpoints.dir",
                        failpoints.toString()));
        Process service = HealthServiceUnderTest.fork(settings, Path.of("target", cluster + ".log"));
        try (EventStream stream = new EventStream(kafka.bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
                CompactedTopic journal = new CompactedTopic(
                        Topics.OPERATIONS, null, Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            String id = request(stream, cluster, action);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(marker));
            int target = etcd.endpoints().indexOf(firstPlannedDefrag(journal, id));
            int other = (target + 1) % 3 == etcd.leaderIndex()
                    ? (target + 2) % 3
                    : (target + 1) % 3; // a follower: no election
            Instant faulted = Instant.now();

            fault.inject().at(etcd, target, other);
            Files.delete(marker);
            if (fault.completes()) {
                fault.heal().at(etcd, target, other);
            }
            List<MaintenanceProgress> story = progressUntilEnd(health, id);
            if (!fault.completes()) {
                fault.heal().at(etcd, target, other);
            }
            MaintenanceProgress end = story.get(story.size() - 1);
            assertThat(story)
                    .as("one final event")
                    .filteredOn(p -> p.step().equals("maintenance") && p.status() != ProgressStatus.STARTED)
                    .hasSize(1);
            if (fault.completes()) {
                assertThat(end.status()).as(end.detail()).isEqualTo(ProgressStatus.COMPLETED);
            } else {
                assertThat(end.status()).isEqualTo(ProgressStatus.FAILED);
                assertThat(end.detail())
                        .as("stopped in place, naming the member")
                        .contains(etcd.endpoints().get(other))
                        .contains("not healthy");
                assertThat(story)
                        .as("no defrag started while a member was unavailable")
                        .noneMatch(p -> p.step().equals("defrag")
                                && p.status() == ProgressStatus.STARTED
                                && p.at().isAfter(faulted));
                if (heal) {
                    assertThat(etcd.etcdctl("alarm", "list"))
                            .as("NOSPACE armed until every member is defragmented")
                            .contains("NOSPACE");
                }
            }
            int movedOnto = fault.name().contains("other follower") ? other : target;
            if (fault.name().startsWith("leadership")) {
                int firstDefrag = indexOf(
                        story,
                        p -> p.step().equals("defrag")
                                && p.status() == ProgressStatus.STARTED
                                && p.member().equals(etcd.endpoints().get(movedOnto)));
                assertThat(indexOf(
                                story,
                                p -> p.step().equals("move-leader")
                                        && p.status() == ProgressStatus.DONE
                                        && p.member().equals(etcd.endpoints().get(movedOnto))))
                        .as("leadership handed on before the member that took it is defragmented")
                        .isBetween(0, firstDefrag);
            }
            String next = request(stream, cluster, action);
            List<MaintenanceProgress> nextStory = progressUntilEnd(health, next);
            MaintenanceProgress nextEnd = nextStory.get(nextStory.size() - 1);
            assertThat(nextEnd.status())
                    .as("the next " + action + " after " + fault.name() + ": " + nextEnd.detail())
                    .isEqualTo(ProgressStatus.COMPLETED);
            assertThat(etcd.etcdctl("alarm", "list")).as("no alarm left").doesNotContain("NOSPACE");
            assertThat(etcd.etcdctl("endpoint", "health")).as("healthy").doesNotContain("unhealthy");
            etcd.etcdctl("put", "/defrag/writable", fault.name());
        } finally {
            Files.deleteIfExists(marker);
            service.destroy();
            service.waitFor(20, TimeUnit.SECONDS);
        }
    }

    private static String request(EventStream stream, String cluster, MaintenanceRequested.Action action) {
        return stream.publish("/test", new MaintenanceRequested(cluster, action, "fault", "test", Instant.now()))
                .getId();
    }

    private static List<MaintenanceProgress> progressUntilEnd(EventStream.Follower health, String id) {
        List<GuardianEvent> events = health.until(
                e -> e instanceof MaintenanceProgress p
                        && p.operationId().equals(id)
                        && p.step().equals("maintenance")
                        && p.status() != ProgressStatus.STARTED,
                Duration.ofSeconds(180));
        List<MaintenanceProgress> story = events.stream()
                .filter(e ->
                        e instanceof MaintenanceProgress p && p.operationId().equals(id))
                .map(MaintenanceProgress.class::cast)
                .toList();
        assertThat(story).as("the operation " + id + " ended").isNotEmpty();
        return story;
    }

    private static int indexOf(List<MaintenanceProgress> story, java.util.function.Predicate<MaintenanceProgress> p) {
        for (int i = 0; i < story.size(); i++) {
            if (p.test(story.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String firstPlannedDefrag(CompactedTopic journal, String id) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> HealthServiceUnderTest.journaled(journal, id)
                        .filter(r -> r.plan().stream().anyMatch(s -> s.startsWith("defrag ")))
                        .isPresent());
        return HealthServiceUnderTest.journaled(journal, id).orElseThrow().plan().stream()
                .filter(s -> s.startsWith("defrag "))
                .findFirst()
                .orElseThrow()
                .substring("defrag ".length());
    }
}
