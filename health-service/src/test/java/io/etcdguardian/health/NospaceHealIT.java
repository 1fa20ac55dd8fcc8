package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-member etcd with a 16 MiB quota, filled until etcd raises NOSPACE and refuses writes;
 * health-service notices on its own, compacts, defragments every member — the leader last, after
 * handing leadership away — disarms, and writes are accepted again. Through Kafka end to end.
 */
@ExtendWith(BackplaneExtension.class)
class NospaceHealIT {
    private static final long QUOTA = 16L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void healsNospaceWithoutAnyoneActing(Backplane backplane) throws Exception {
        String cluster = "nospace-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, QUOTA).start();
        try (Client client = Client.builder()
                .endpoints(etcd.endpoints().toArray(String[]::new))
                .build()) {
            HealthServiceUnderTest.fillUntilNospace(client);
            assertThat(etcd.etcdctl("alarm", "list")).contains("NOSPACE");
            String leaderBefore = leader(etcd);

            try (ApplicationContext context = HealthServiceUnderTest.start(
                            backplane,
                            dir,
                            cluster,
                            etcd,
                            ", quotaBackendBytes: " + QUOTA,
                            Map.of("guardian.health.poll-interval", "500ms", "guardian.health.settle", "1s"));
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower progress = stream.follow(Topics.HEALTH_EVENTS)) {
                List<MaintenanceProgress> steps = new ArrayList<>();
                while (true) {
                    GuardianEvent event = progress.await(
                                    e -> e instanceof MaintenanceProgress p
                                            && p.clusterId().equals(cluster),
                                    Duration.ofSeconds(90))
                            .orElseThrow(() -> new AssertionError("no progress; steps so far: " + steps));
                    MaintenanceProgress step = (MaintenanceProgress) event;
                    steps.add(step);
                    if (step.step().equals("maintenance")) {
                        assertThat(step.status()).as(step.detail()).isEqualTo(ProgressStatus.COMPLETED);
                        break;
                    }
                }
                List<String> defragged = steps.stream()
                        .filter(s -> s.step().equals("defrag") && s.status() == ProgressStatus.DONE)
                        .map(MaintenanceProgress::member)
                        .toList();
                assertThat(defragged).hasSize(3).doesNotHaveDuplicates().last().isEqualTo(leaderBefore);
                assertThat(steps)
                        .extracting(s -> s.step() + ":" + s.status())
                        .containsSubsequence(
                                "compact:DONE",
                                "defrag:DONE",
                                "defrag:DONE",
                                "move-leader:DONE",
                                "defrag:DONE",
                                "disarm:DONE");
                assertThat(steps.stream().filter(s -> s.step().equals("defrag") && s.status() == ProgressStatus.DONE))
                        .allSatisfy(s -> assertThat(s.dbSizeAfter()).isLessThan(s.dbSizeBefore()));
                assertThat(leader(etcd)).isNotEqualTo(leaderBefore);
                assertThat(context.getBean(MeterRegistry.class)
                                .get("guardian.defrag.duration")
                                .tag("cluster", cluster)
                                .tag("result", "completed")
                                .timer()
                                .count())
                        .isEqualTo(1);
            }
            assertThat(etcd.etcdctl("alarm", "list")).doesNotContain("NOSPACE");
            client.getKVClient()
                    .put(bytes("/after-heal"), bytes("writes are accepted again"))
                    .get();
            assertThat(etcd.etcdctl("get", "/after-heal", "--print-value-only")).contains("writes are accepted again");
        } finally {
            etcd.stop();
        }
    }

    @Test
    void aMemberKilledMidDefragStopsItBeforeTheNextMember(Backplane backplane) throws Exception {
        String cluster = "killed-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd2"), 3, 0).start();
        try {
            String leaderBefore = leader(etcd);
            try (ApplicationContext context = HealthServiceUnderTest.start(
                            backplane,
                            dir,
                            cluster,
                            etcd,
                            ", requestTimeout: 2s",
                            Map.of("guardian.health.settle", "3s"));
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower progress = stream.follow(Topics.HEALTH_EVENTS)) {
                stream.publish(
                        "/test",
                        new io.etcdguardian.common.event.MaintenanceRequested(
                                cluster,
                                io.etcdguardian.common.event.MaintenanceRequested.Action.DEFRAG,
                                "test",
                                "test",
                                java.time.Instant.now()));
                MaintenanceProgress first = (MaintenanceProgress) progress.await(
                                e -> e instanceof MaintenanceProgress p
                                        && p.clusterId().equals(cluster)
                                        && p.step().equals("defrag")
                                        && p.status() == ProgressStatus.STARTED,
                                Duration.ofSeconds(60))
                        .orElseThrow();
                // while the first follower settles, the other follower dies
                int victim = -1;
                for (int i = 0; i < 3; i++) {
                    String url = etcd.members().get(i).clientUrl();
                    if (!url.equals(first.member()) && !url.equals(leaderBefore)) {
                        victim = i;
                    }
                }
                etcd.killMember(victim);
                List<GuardianEvent> rest = progress.until(
                        e -> e instanceof MaintenanceProgress p
                                && p.clusterId().equals(cluster)
                                && p.step().equals("maintenance"),
                        Duration.ofSeconds(60));
                assertThat(rest).as("the heal's outcome").isNotEmpty();
                MaintenanceProgress end = (MaintenanceProgress) rest.get(rest.size() - 1);
                assertThat(end.status()).isEqualTo(ProgressStatus.FAILED);
                assertThat(end.detail())
                        .contains(
                                "ETCD_UNAVAILABLE",
                                etcd.members().get(victim).clientUrl(),
                                "no defragmentation without quorum headroom");
                // nothing after the first member: no leader move, no defrag of the leader (its steps would
                // have come before the outcome)
                assertThat(rest)
                        .noneMatch(e -> e instanceof MaintenanceProgress p
                                && p.clusterId().equals(cluster)
                                && (p.step().equals("move-leader") || leaderBefore.equals(p.member())));
                assertThat(leader(etcd)).isEqualTo(leaderBefore);
            }
        } finally {
            etcd.stop();
        }
    }

    private static String leader(EtcdCluster etcd) {
        for (String endpoint : etcd.endpoints()) {
            String status;
            try {
                status = io.etcdguardian.localetcd.Etcdctl.run(List.of(
                        io.etcdguardian.localetcd.EtcdBinaries.etcdctl().toString(),
                        "--endpoints=" + endpoint,
                        "--command-timeout=2s",
                        "endpoint",
                        "status",
                        "-w",
                        "fields"));
            } catch (IllegalStateException down) {
                continue; // a member the test killed
            }
            java.util.regex.Matcher id =
                    java.util.regex.Pattern.compile("\"MemberID\" : (\\d+)").matcher(status);
            java.util.regex.Matcher leader =
                    java.util.regex.Pattern.compile("\"Leader\" : (\\d+)").matcher(status);
            if (id.find() && leader.find() && id.group(1).equals(leader.group(1))) {
                return endpoint;
            }
        }
        throw new AssertionError("no leader");
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text.getBytes());
    }
}
