package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One operation, one final outcome: a defrag that failed stays FAILED — the intake does not retry
 * it whole, and a redelivered request (to a restarted service) repeats the outcome instead of
 * running again. A paused cluster refuses before anything is touched.
 */
@ExtendWith(BackplaneExtension.class)
class DefragOutcomeIT {
    private static final Map<String, Object> FAST = Map.of(
            "guardian.health.poll-interval",
            "300ms",
            "guardian.health.settle",
            "100ms",
            "guardian.intake.initial-backoff",
            "300ms");

    @TempDir
    Path dir;

    @Test
    void aFailedDefragEndsOnceAndIsNeverRunAgainByARetryOrARedelivery(Backplane backplane) throws Exception {
        String cluster = "outcome-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        HealthServiceUnderTest.createTopics(backplane);
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
                EventStream.Follower audit = stream.follow(Topics.HEALTH_EVENTS)) {
            CloudEvent request = EventEnvelope.wrap(
                    "/test",
                    new MaintenanceRequested(
                            cluster, MaintenanceRequested.Action.DEFRAG, "operator", "test", Instant.now()));
            try (ApplicationContext service = HealthServiceUnderTest.start(backplane, dir, cluster, etcd, "", FAST)) {
                etcd.stopMember(2); // no quorum headroom: the defrag must not start
                stream.publish(request);
                MaintenanceProgress failed = end(health, cluster, request.getId());
                assertThat(failed.status()).isEqualTo(ProgressStatus.FAILED);
                assertThat(failed.detail()).contains("ETCD_UNAVAILABLE").contains("quorum headroom");
                // the member is back while the intake's backoff would have run the whole defrag again
                etcd.startMember(2);
                etcd.awaitHealthy(2);
                // a plain defrag keeps history (the API server compacts on its own): a revision from before it reads
                long before;
                try (io.etcd.jetcd.Client client = io.etcd.jetcd.Client.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new))
                        .build()) {
                    var key = io.etcd.jetcd.ByteSequence.from("/history".getBytes());
                    before = client.getKVClient()
                            .put(key, io.etcd.jetcd.ByteSequence.from("old".getBytes()))
                            .get()
                            .getHeader()
                            .getRevision();
                    client.getKVClient()
                            .put(key, io.etcd.jetcd.ByteSequence.from("new".getBytes()))
                            .get();
                    CloudEvent sentinel = EventEnvelope.wrap(
                            "/test",
                            new MaintenanceRequested(
                                    cluster, MaintenanceRequested.Action.DEFRAG, "sentinel", "test", Instant.now()));
                    stream.publish(sentinel);
                    assertThat(end(health, cluster, sentinel.getId()).status()).isEqualTo(ProgressStatus.COMPLETED);
                    assertThat(client.getKVClient()
                                    .get(
                                            key,
                                            io.etcd.jetcd.options.GetOption.builder()
                                                    .withRevision(before)
                                                    .build())
                                    .get()
                                    .getKvs()
                                    .get(0)
                                    .getValue()
                                    .toString(java.nio.charset.StandardCharsets.UTF_8))
                            .as("not compacted away")
                            .isEqualTo("old");
                }
            }
            // the request is delivered again, to a fresh replica (its in-memory dedup is empty)
            CloudEvent lastSentinel = EventEnvelope.wrap(
                    "/test",
                    new MaintenanceRequested(
                            cluster, MaintenanceRequested.Action.DEFRAG, "sentinel 2", "test", Instant.now()));
            try (ApplicationContext service = HealthServiceUnderTest.start(
                    backplane,
                    dir,
                    cluster,
                    etcd,
                    "",
                    Map.of("guardian.health.group", "health-redelivery-" + cluster))) {
                stream.publish(request);
                MaintenanceProgress repeated = end(health, cluster, request.getId());
                assertThat(repeated.status()).isEqualTo(ProgressStatus.FAILED);
                stream.publish(lastSentinel);
                end(health, cluster, lastSentinel.getId());
            }
            List<MaintenanceProgress> ofRequest = until(audit, cluster, request.getId(), lastSentinel.getId());
            assertThat(ofRequest)
                    .filteredOn(p -> p.step().equals("maintenance"))
                    .extracting(MaintenanceProgress::status)
                    .as("one final outcome, repeated identically")
                    .containsOnly(ProgressStatus.FAILED);
            assertThat(ofRequest)
                    .filteredOn(p -> p.step().equals("defrag") || p.step().equals("compact"))
                    .as("nothing was touched for the failed request, ever")
                    .isEmpty();
        } finally {
            etcd.stop();
        }
    }

    @Test
    void aPausedClusterRefusesMaintenanceBeforeTouchingAnything(Backplane backplane) {
        String cluster = "paused-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        HealthServiceUnderTest.createTopics(backplane);
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
                ApplicationContext service =
                        HealthServiceUnderTest.start(backplane, dir, cluster, etcd, "", "\n    paused: true", FAST)) {
            CloudEvent request = stream.publish(
                    "/test",
                    new MaintenanceRequested(
                            cluster, MaintenanceRequested.Action.HEAL_NOSPACE, "operator", "test", Instant.now()));
            List<MaintenanceProgress> events = until(health, cluster, request.getId(), request.getId());
            MaintenanceProgress refused = events.get(events.size() - 1);
            assertThat(refused.status()).isEqualTo(ProgressStatus.REFUSED);
            assertThat(refused.detail()).contains("PAUSED").contains("nothing was touched");
            assertThat(events).extracting(MaintenanceProgress::step).containsOnly("maintenance");
        } finally {
            etcd.stop();
        }
    }

    private static MaintenanceProgress end(EventStream.Follower health, String cluster, String operationId) {
        return (MaintenanceProgress) health.await(
                        e -> e instanceof MaintenanceProgress p
                                && p.clusterId().equals(cluster)
                                && p.operationId().equals(operationId)
                                && p.step().equals("maintenance"),
                        Duration.ofSeconds(60))
                .orElseThrow(() -> new AssertionError("no outcome for " + operationId));
    }

    /**
     * The progress events of {@code operationId}, in the order they were published, up to the final
     * event of {@code stopAt} (a later operation of the same cluster, so same partition, same order).
     */
    private static List<MaintenanceProgress> until(
            EventStream.Follower follower, String cluster, String operationId, String stopAt) {
        List<MaintenanceProgress> found = new ArrayList<>();
        List<io.etcdguardian.common.event.GuardianEvent> seen = follower.until(
                e -> e instanceof MaintenanceProgress p
                        && p.clusterId().equals(cluster)
                        && p.step().equals("maintenance")
                        && p.operationId().equals(stopAt),
                Duration.ofSeconds(120));
        assertThat(seen).as("the events up to the end").isNotEmpty();
        seen.forEach(e -> {
            if (e instanceof MaintenanceProgress p && p.operationId().equals(operationId)) {
                found.add(p);
            }
        });
        return found;
    }
}
