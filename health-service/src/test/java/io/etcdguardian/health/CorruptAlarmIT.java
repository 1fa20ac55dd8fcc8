package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.HealthChanged;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
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
 * A CORRUPT alarm on a real member (raised the way etcd's corruption check raises it: an alarm
 * ACTIVATE through raft) is reported for an operator, is never disarmed, and refuses a defrag.
 */
@ExtendWith(BackplaneExtension.class)
class CorruptAlarmIT {
    /** etcd's AlarmType.CORRUPT: jetcd's copy of the protocol stops at NOSPACE. */
    private static final int CORRUPT = 2;

    @TempDir
    Path dir;

    @Test
    void aCorruptAlarmIsReportedNeverDisarmedAndRefusesADefrag(Backplane backplane) throws Exception {
        String cluster = "corrupt-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        String victim = etcd.endpoints().get(1);
        try (ApplicationContext context = HealthServiceUnderTest.start(
                        backplane,
                        dir,
                        cluster,
                        etcd,
                        "",
                        Map.of("guardian.health.poll-interval", "300ms", "guardian.health.settle", "200ms"));
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
            alarm(victim, AlarmRequest.AlarmAction.ACTIVATE);

            HealthChanged raised = (HealthChanged) health.await(
                            e -> e instanceof HealthChanged h
                                    && h.clusterId().equals(cluster)
                                    && h.change() == HealthChanged.Change.ALARM_RAISED,
                            Duration.ofSeconds(30))
                    .orElseThrow(() -> new AssertionError("no ALARM_RAISED event"));
            assertThat(raised.alarm()).isEqualTo("CORRUPT");
            assertThat(raised.member()).isEqualTo(victim);
            assertThat(raised.detail()).contains("never disarmed automatically");

            HttpClient http =
                    HttpClient.create(context.getBean(EmbeddedServer.class).getURL());
            String metrics = http.toBlocking().retrieve("/prometheus");
            assertThat(metrics)
                    .containsPattern("guardian_etcd_server_alarms\\{alarm=\"CORRUPT\",cluster=\"" + cluster
                            + "\",member=\"" + java.util.regex.Pattern.quote(victim) + "\"} 1\\.0");
            assertThat(metrics).contains("guardian_etcd_mvcc_db_total_size_in_bytes{cluster=\"" + cluster + "\"");

            // an operator (or an alert) asks for a defrag anyway: refused before anything is touched
            stream.publish(
                    "/test",
                    new MaintenanceRequested(
                            cluster, MaintenanceRequested.Action.DEFRAG, "operator", "test", Instant.now()));
            List<GuardianEvent> refusal = health.until(outcomeOf(cluster), Duration.ofSeconds(30));
            assertThat(refusal).as("the defrag's outcome").isNotEmpty();
            MaintenanceProgress end = (MaintenanceProgress) refusal.get(refusal.size() - 1);
            assertThat(end.status()).isEqualTo(ProgressStatus.FAILED);
            assertThat(end.detail()).contains("CORRUPT");
            assertThat(refusal)
                    .as("no member defragmented: its steps would come before the outcome")
                    .noneMatch(
                            e -> e instanceof MaintenanceProgress p && p.step().equals("defrag"));

            // two more polls see the alarm; then a second refused request is the sentinel: a clearing the
            // polls reported would have been published before its outcome
            var meters = context.getBean(io.micrometer.core.instrument.MeterRegistry.class);
            long polls = meters.get("guardian.health.poll").timer().count();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> meters.get("guardian.health.poll").timer().count() >= polls + 2);
            stream.publish(
                    "/test",
                    new MaintenanceRequested(
                            cluster, MaintenanceRequested.Action.DEFRAG, "sentinel", "test", Instant.now()));
            List<GuardianEvent> meanwhile = health.until(outcomeOf(cluster), Duration.ofSeconds(30));
            assertThat(meanwhile).as("the sentinel's outcome").isNotEmpty();
            assertThat(meanwhile)
                    .as("the alarm stays for the operator")
                    .noneMatch(e -> e instanceof HealthChanged h
                            && h.clusterId().equals(cluster)
                            && h.change() == HealthChanged.Change.ALARM_CLEARED);
            assertThat(etcd.etcdctl("alarm", "list")).contains("CORRUPT");

            // the operator clears it: reported as well
            alarm(victim, AlarmRequest.AlarmAction.DEACTIVATE);
            assertThat(health.await(
                            e -> e instanceof HealthChanged h
                                    && h.clusterId().equals(cluster)
                                    && h.change() == HealthChanged.Change.ALARM_CLEARED,
                            Duration.ofSeconds(30)))
                    .isPresent();
        } finally {
            etcd.stop();
        }
    }

    private static java.util.function.Predicate<GuardianEvent> outcomeOf(String cluster) {
        return e -> e instanceof MaintenanceProgress p
                && p.clusterId().equals(cluster)
                && p.step().equals("maintenance");
    }

    /** etcd's Alarm RPC with ACTIVATE/DEACTIVATE, which jetcd does not expose, on the member's own id. */
    private static void alarm(String endpoint, AlarmRequest.AlarmAction action) throws InterruptedException {
        URI uri = URI.create(endpoint);
        ManagedChannel channel = ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort())
                .usePlaintext()
                .build();
        try {
            MaintenanceGrpc.MaintenanceBlockingStub stub =
                    MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            long memberId = stub.status(io.etcd.jetcd.api.StatusRequest.getDefaultInstance())
                    .getHeader()
                    .getMemberId();
            stub.alarm(AlarmRequest.newBuilder()
                    .setAction(action)
                    .setMemberID(memberId)
                    .setAlarmValue(CORRUPT)
                    .build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
